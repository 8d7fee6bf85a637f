/**
 * `--env-file PATH`: the sidecar's settings from a file, the environment winning over it.
 *
 * The same file is systemd's EnvironmentFile (contrib/contact-bridge.service), so only what
 * both read alike (systemd.exec(5)) is accepted: `NAME=value` lines, `#`/`;` comment lines, blank lines, values
 * in single quotes (literal) or double quotes (\" \\ \$ \` escapes). Anything else is an error
 * naming the file and the line, never the value (it may be the secret). Node's own
 * process.loadEnvFile() keeps set variables too, but passes over a line it cannot parse and
 * lets it swallow the next one (an unterminated quote, the rest of the file), silently.
 */
import { readFileSync } from 'node:fs';
import { AppError } from './errors';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function problem(file: string, line: number, why: string): AppError {
  return new AppError('CONFIG_INVALID', `${file} line ${line}: ${why}`);
}

function unquoted(value: string, file: string, line: number): string {
  if (/["'\\]/.test(value)) throw problem(file, line, 'a quote or backslash in an unquoted value; put the whole value in single quotes');
  return value.trim();
}

function quoted(value: string, file: string, line: number): string {
  const quote = value[0];
  let text = '';
  for (let i = 1; i < value.length; i += 1) {
    const c = value[i];
    if (c === quote) {
      if (value.slice(i + 1).trim() !== '') throw problem(file, line, 'text after the closing quote');
      return text;
    }
    if (c === '\\' && quote === '"') {
      const next = value[i + 1];
      if (next === undefined || !'"\\$`'.includes(next)) throw problem(file, line, 'a backslash in double quotes escapes only " \\ $ `; use single quotes for a literal value');
      text += next;
      i += 1;
      continue;
    }
    text += c;
  }
  throw problem(file, line, `no closing ${quote} on the line (values span one line)`);
}

/** The variables of an env file's text; throws AppError('CONFIG_INVALID') naming the file and line. */
export function parseEnvFile(text: string, file: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lineOf: Record<string, number> = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const eq = trimmed.indexOf('=');
    const name = eq < 0 ? '' : trimmed.slice(0, eq);
    if (!NAME.test(name)) throw problem(file, line, 'expected NAME=value (a name of letters, digits and _, then =)');
    if (lineOf[name] !== undefined) throw problem(file, line, `${name} is set again (first on line ${lineOf[name]})`);
    const value = trimmed.slice(eq + 1).trimStart();
    values[name] = value.startsWith('"') || value.startsWith("'") ? quoted(value, file, line) : unquoted(value, file, line);
    lineOf[name] = line;
  });
  return values;
}

/**
 * Sets, in `env`, every variable of the file that `env` does not have already (set, even
 * empty, means the environment's value wins). Nothing is set when the file is unreadable or
 * has a bad line.
 */
export function loadEnvFile(file: string, env: NodeJS.ProcessEnv = process.env): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'a directory, not a file' : code;
    throw new AppError('CONFIG_INVALID', `${file}: cannot read the env file (${why})`, 500, error);
  }
  for (const [name, value] of Object.entries(parseEnvFile(text, file))) {
    if (env[name] === undefined) env[name] = value;
  }
}
