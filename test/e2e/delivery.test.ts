/**
 * Delivery from WordPress under failure: an event is in the queue table from the moment its
 * hook fires (a PHP worker killed before `shutdown` loses nothing), and a hung sidecar never
 * piles up WordPress workers: however many requests run at once, one drain talks to it.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { expect } from 'chai';
import { rows } from '../support/database';
import { freePort } from '../../tools/private-mariadb';
import { eventually, linkOf, startBridgeSite, userIdByLogin, type BridgeSite } from './support/bridge-site';
import { WpSession } from './support/wp-http';

interface QueueRow {
  user_id: number;
  event: string;
}

function queueRows(site: BridgeSite): Promise<QueueRow[]> {
  return rows<QueueRow>(site.pool, `SELECT user_id, event FROM \`${site.prefix}contact_bridge_queue\` ORDER BY id`);
}

describe('e2e: write-ahead delivery', function () {
  let site: BridgeSite;

  before(async function () {
    this.timeout(120_000);
    site = await startBridgeSite('write-ahead');
  });
  after(async function () {
    this.timeout(60_000);
    await site?.close();
  });

  it('when a PHP worker is killed right after wp_insert_user, then the event is in the queue table and WP-Cron delivers it later', async function () {
    const result = await site.wp.runPhpResult(
      `$id = wp_insert_user( array( 'user_login' => 'killed-worker', 'user_email' => 'killed.worker@example.org', 'user_pass' => wp_generate_password() ) );\n` +
        `if ( is_wp_error( $id ) ) { fwrite( STDERR, $id->get_error_message() ); exit( 1 ); }\n` +
        `echo $id;\n` +
        `posix_kill( getmypid(), SIGKILL ); // before shutdown: nothing in memory survives\n`,
    );
    const userId = Number(result.stdout.trim());

    expect(result.code, `the worker died by SIGKILL: ${result.stderr}`).to.equal(null);
    expect(userId).to.be.greaterThan(0);
    expect(await queueRows(site)).to.deep.include({ user_id: userId, event: 'user_register' });
    expect(await linkOf(site, userId), 'the sidecar heard nothing').to.deep.equal([]);

    await site.wp.runPhp(`do_action( 'contact_bridge_drain_queue' );\n`);

    expect(await linkOf(site, userId)).to.have.length(1);
    expect((await queueRows(site)).map((r) => r.user_id)).to.not.include(userId);
  });
});

describe('e2e: a hung sidecar', function () {
  let site: BridgeSite;
  let hung: Server;
  const accepted: Socket[] = [];

  before(async function () {
    this.timeout(120_000);
    // A sidecar that accepts connections and never answers.
    const port = await freePort();
    hung = createServer((socket) => {
      accepted.push(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => hung.listen(port, '127.0.0.1', resolve));
    site = await startBridgeSite('hung', { bridgeUrl: `http://127.0.0.1:${port}` });
  });
  after(async function () {
    this.timeout(60_000);
    for (const socket of accepted) socket.destroy();
    await new Promise<void>((resolve) => hung.close(() => resolve()));
    await site?.close();
  });

  it('when four registrations and four page views arrive at once while events are queued, then at most one connection reaches the sidecar and every event stays queued', async function () {
    this.timeout(120_000);
    // An event already queued (written as the table holds it; the 0.1 plugin also kept a "queue may hold events" flag).
    await site.pool.query(`INSERT INTO \`${site.prefix}contact_bridge_queue\` (user_id, blog_id, event, queued_at) VALUES (1, 1, 'profile_update', UNIX_TIMESTAMP())`);
    await site.pool.query(`INSERT INTO \`${site.prefix}options\` (option_name, option_value, autoload) VALUES ('contact_bridge_queue_hint', '1', 'yes') ON DUPLICATE KEY UPDATE option_value = '1'`);
    const logins = ['hung-a', 'hung-b', 'hung-c', 'hung-d'];

    const answers = await Promise.all([
      ...logins.map((login) =>
        new WpSession(site.wp.url).post('/wp-login.php?action=register', [
          ['user_login', login],
          ['user_email', `${login}@example.org`],
          ['wp-submit', 'Register'],
        ]),
      ),
      ...logins.map(() => new WpSession(site.wp.url).get('/')),
    ]);
    // The one drain that talked to the sidecar gave up at its timeout and paused delivery.
    await eventually('the drain gave up and paused delivery', async () => {
      const [pause] = await rows<{ option_value: string }>(site.pool, `SELECT option_value FROM \`${site.prefix}options\` WHERE option_name = 'contact_bridge_retry_after'`);
      return pause && Number(pause.option_value) > Math.floor(Date.now() / 1000) ? true : undefined;
    });

    expect(answers.map((a) => a.status)).to.deep.equal([302, 302, 302, 302, 200, 200, 200, 200]);
    expect(accepted.length, 'connections that reached the hung sidecar').to.be.at.most(1);
    const ids = await Promise.all(logins.map((login) => userIdByLogin(site, login)));
    const queued = (await queueRows(site)).map((r) => r.user_id);
    expect(queued).to.include.members([1, ...(ids as number[])]);
  });
});
