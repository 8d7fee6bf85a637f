import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadEnvFile, parseEnvFile } from '../../sidecar/src/lib/env-file';

const FILE = '/etc/contact-bridge.env';

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

describe('env file (--env-file)', () => {
  it('when a file has comments, blank lines and quoted values, then it yields NAME=value as systemd reads them', () => {
    const text = [
      '# the database',
      '; also a comment',
      '',
      'MYSQL_URL=mysql://bridge:p#ss@127.0.0.1:3306/wp',
      "BRIDGE_SECRET='a$b\\c \"d\" 0123456789abcdef0123456789'",
      'SYNC_CRON="*/5 * * * *"',
      'ESCAPED="say \\"hi\\" \\\\ \\$HOME"',
      '  PORT =8787',
    ];
    // The last line has a space before "=": not a name.
    expect(errorOf(() => parseEnvFile(text.join('\n'), FILE))).to.equal(`${FILE} line 8: expected NAME=value (a name of letters, digits and _, then =)`);

    expect(parseEnvFile([...text.slice(0, -1), '  PORT=8787  ', 'EMPTY=', 'WP_TABLE_PREFIX=wp_\r'].join('\n'), FILE)).to.deep.equal({
      MYSQL_URL: 'mysql://bridge:p#ss@127.0.0.1:3306/wp',
      BRIDGE_SECRET: 'a$b\\c "d" 0123456789abcdef0123456789',
      SYNC_CRON: '*/5 * * * *',
      ESCAPED: 'say "hi" \\ $HOME',
      PORT: '8787',
      EMPTY: '',
      WP_TABLE_PREFIX: 'wp_',
    });
  });

  for (const [line, why] of [
    ['this is not valid', 'expected NAME=value'],
    ['1PORT=8787', 'expected NAME=value'],
    ['=value', 'expected NAME=value'],
    ['export PORT=8787', 'expected NAME=value'],
    ['BRIDGE_SECRET="no end', 'no closing " on the line'],
    ["BRIDGE_SECRET='no end", "no closing ' on the line"],
    ['BRIDGE_SECRET="a" b', 'text after the closing quote'],
    ['BRIDGE_SECRET=a\\', 'a quote or backslash in an unquoted value'],
    ['BRIDGE_SECRET=it\'s', 'a quote or backslash in an unquoted value'],
    ['BRIDGE_SECRET="a\\nb"', 'a backslash in double quotes escapes only'],
  ]) {
    it(`when a line reads ${line}, then the error names the file and the line, not the value`, () => {
      const message = errorOf(() => parseEnvFile(`PORT=1\n# fine\n${line}\nHOST=::1\n`, FILE));

      expect(message).to.match(new RegExp(`^${FILE.replace(/\./g, '\\.')} line 3: `));
      expect(message).to.contain(why);
      expect(message).not.to.contain('no end');
    });
  }

  it('when a name is set twice, then the error names both lines', () => {
    expect(errorOf(() => parseEnvFile('PORT=1\nHOST=x\nPORT=2\n', FILE))).to.equal(`${FILE} line 3: PORT is set again (first on line 1)`);
  });

  describe('loading into an environment', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'cb-env-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('when a variable is in the environment and the file, then the environment wins (even empty); the others come from the file', () => {
      const file = path.join(dir, 'ok.env');
      writeFileSync(file, 'PORT=1111\nHOST=10.0.0.1\nLOG_LEVEL=debug\nSYNC_CRON=*/5 * * * *\n');
      const env: NodeJS.ProcessEnv = { PORT: '2222', SYNC_CRON: '' };

      loadEnvFile(file, env);

      expect(env).to.deep.equal({ PORT: '2222', SYNC_CRON: '', HOST: '10.0.0.1', LOG_LEVEL: 'debug' });
    });

    it('when a line is bad, then nothing of the file is set', () => {
      const file = path.join(dir, 'bad.env');
      writeFileSync(file, 'PORT=1111\nnot a line\n');
      const env: NodeJS.ProcessEnv = {};

      expect(errorOf(() => loadEnvFile(file, env))).to.equal(`${file} line 2: expected NAME=value (a name of letters, digits and _, then =)`);
      expect(env).to.deep.equal({});
    });

    it('when the file is missing or a directory, then the error names it and says why', () => {
      expect(errorOf(() => loadEnvFile(path.join(dir, 'missing.env'), {}))).to.equal(`${path.join(dir, 'missing.env')}: cannot read the env file (no such file)`);
      expect(errorOf(() => loadEnvFile(dir, {}))).to.equal(`${dir}: cannot read the env file (a directory, not a file)`);
    });
  });
});
