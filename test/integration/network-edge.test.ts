/**
 * The network edge, against the real sidecar process (`node dist/sidecar/src/main.js`, as
 * `npm start` runs it): nothing a client sends ends the process. Each case is a reproduction
 * of a request that used to stop it; after each, the process must still answer a signed event.
 */
import { connect, type Socket } from 'node:net';
import { brotliCompressSync, gzipSync, deflateSync } from 'node:zlib';
import { expect } from 'chai';
import { createTestDatabase, rows, type TestDatabase } from '../support/database';
import { insertUser, snapshot } from '../support/fixtures';
import { startSidecarProcess, type SidecarProcess } from '../support/sidecar-process';
import type { Reply } from '../../tools/signed-client';

describe('network edge: a request never ends the process', () => {
  let db: TestDatabase;
  let sidecar: SidecarProcess;

  before(async () => {
    db = await createTestDatabase();
    sidecar = await startSidecarProcess(db.url, { LOG_LEVEL: 'info' });
  });
  // A case that stops the process must not hide the next one: each starts with a live process.
  beforeEach(async () => {
    if (sidecar.child.exitCode !== null || sidecar.child.signalCode !== null) sidecar = await startSidecarProcess(db.url, { LOG_LEVEL: 'info' });
  });
  after(async () => {
    if (sidecar.child.exitCode === null) sidecar.child.kill('SIGTERM');
    await sidecar.exited;
    await db.drop();
  });

  /** The process is up and serves a signed event that links a new user (checked in the database). */
  async function expectStillServing(what: string): Promise<void> {
    expect(sidecar.child.exitCode, `${what}: the process is still running`).to.equal(null);
    const id = await insertUser(db.pool, db.prefix, { email: `still.${id_()}@example.org` });
    const reply = await sidecar.client.post('/v1/events', { event: 'user_register', user_id: id });
    expect(reply.status, `${what}: a signed event afterwards`).to.equal(200);
    const links = await rows(db.pool, 'SELECT contact_id FROM civicrm_uf_match WHERE uf_id = ?', [id]);
    expect(links, `${what}: the event's link`).to.have.length(1);
  }

  function expectJsonRefusal(reply: Reply, what: string, statuses: number[]): void {
    expect(reply.status, `${what} -> ${reply.status} ${JSON.stringify(reply.body)}`).to.be.oneOf(statuses);
    expect(reply.headers.get('content-type') ?? '', what).to.match(/^application\/json/);
    expect(reply.body?.error?.code, what).to.be.a('string');
  }

  const event = JSON.stringify({ event: 'user_register', user_id: 1 });
  const broken: Array<[string, Buffer]> = [
    ['gzip', Buffer.concat([gzipSync(event).subarray(0, 12), Buffer.from('not gzip at all')])],
    ['deflate', Buffer.from('this is not zlib data')],
    ['br', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x01])],
    ['gzip', Buffer.from('x')],
  ];

  for (const [encoding, body] of broken) {
    for (const signed of [false, true]) {
      it(`when ${signed ? 'a signed' : 'an unsigned'} POST /v1/events has Content-Encoding: ${encoding} and a broken body, then 4xx JSON, nothing is written and the process still serves events`, async () => {
        const before = await snapshot(db.pool);
        const headers: Record<string, string> = { 'Content-Type': 'application/json', 'Content-Encoding': encoding };
        if (signed) Object.assign(headers, sidecar.client.headersFor('POST', '/v1/events', body));

        const reply = await sidecar.client.raw('POST', '/v1/events', body, headers);

        expectJsonRefusal(reply, `${encoding} ${signed ? 'signed' : 'unsigned'}`, [400, 401, 415]);
        expect(await snapshot(db.pool)).to.equal(before);
        await expectStillServing(`broken ${encoding}`);
      });
    }
  }

  it('when a signed body is validly compressed (gzip, deflate, br), then 415: the sidecar never decompresses', async () => {
    for (const [encoding, body] of [
      ['gzip', gzipSync(event)],
      ['deflate', deflateSync(event)],
      ['br', brotliCompressSync(event)],
    ] as const) {
      const headers = { 'Content-Type': 'application/json', 'Content-Encoding': encoding, ...sidecar.client.headersFor('POST', '/v1/events', body) };
      const reply = await sidecar.client.raw('POST', '/v1/events', body, headers);
      expectJsonRefusal(reply, encoding, [415]);
    }
    await expectStillServing('compressed bodies');
  });

  for (const path of ['/v1/users/%E0%A4%A/link', '/v1/sync/%zz', '/v1/users/%/link', '/v1/sync/%E0%A4%A']) {
    it(`when a signed GET ${path} has a malformed escape, then 400 JSON and the process still serves events`, async () => {
      const reply = await sidecar.client.get(path);

      expectJsonRefusal(reply, path, [400]);
      await expectStillServing(path);
    });
  }
});

describe('network edge: half-open connections', () => {
  let db: TestDatabase;
  let sidecar: SidecarProcess;
  const sockets: Socket[] = [];

  before(async () => {
    db = await createTestDatabase();
    // 1024 open files: the soft limit a service manager gives a process unless told otherwise.
    sidecar = await startSidecarProcess(db.url, { LOG_LEVEL: 'info' }, { maxOpenFiles: 1024 });
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    if (sidecar.child.exitCode === null) sidecar.child.kill('SIGTERM');
    await sidecar.exited;
    await db.drop();
  });

  it('when 1,000 connections send half a request and wait, then a signed event is still served and the process stays up', async () => {
    const port = sidecar.port;
    const opened = await Promise.all(
      Array.from({ length: 1000 }, () =>
        new Promise<boolean>((resolve) => {
          const socket = connect(port, '127.0.0.1', () => {
            socket.write('POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n');
            resolve(true);
          });
          socket.on('error', () => resolve(false));
          sockets.push(socket);
        }),
      ),
    );
    const id = await insertUser(db.pool, db.prefix, { email: 'half.open@example.org' });

    // Like the plugin's queue, the sender tries again when a connection is refused at the cap.
    let reply: Reply | undefined;
    for (let attempt = 0; reply?.status !== 200; attempt++) {
      expect(sidecar.child.exitCode, 'the process is still running').to.equal(null);
      try {
        reply = await sidecar.client.post('/v1/events', { event: 'user_register', user_id: id });
      } catch {
        await new Promise((r) => setTimeout(r, 250));
      }
    }

    expect(opened.filter(Boolean).length, 'connections the test opened').to.be.greaterThan(0);
    expect(reply.body.action).to.equal('created');
    expect(await rows(db.pool, 'SELECT uf_name FROM civicrm_uf_match WHERE uf_id = ?', [id])).to.deep.equal([{ uf_name: 'half.open@example.org' }]);
    expect(sidecar.child.exitCode).to.equal(null);
  });
});

let counter = 0;
function id_(): string {
  counter += 1;
  return `${process.pid}.${counter}.${Date.now()}`;
}
