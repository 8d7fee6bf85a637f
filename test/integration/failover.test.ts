/**
 * MYSQL_URL with several hosts, on the harness's one server: a first host that refuses
 * connections is left for the next (the Galera suite kills real nodes; this runs everywhere).
 */
import { expect } from 'chai';
import { freePort } from '../../tools/private-mariadb';
import { createTestDatabase, rows, type TestDatabase } from '../support/database';
import { insertUser } from '../support/fixtures';
import { startSidecarProcess, type SidecarProcess } from '../support/sidecar-process';

describe('MYSQL_URL host list: failover', () => {
  let db: TestDatabase;
  let sidecar: SidecarProcess | undefined;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    sidecar?.child.kill('SIGTERM');
    await sidecar?.exited;
    await db.drop();
  });

  it('when the first host of MYSQL_URL refuses connections, then the sidecar starts on the second, /readyz names node 2 of 2 (no host), and events are written there', async () => {
    const real = new URL(db.url);
    const dead = await freePort(); // nothing listens there
    const url = `mysql://${real.username}:${real.password}@127.0.0.1:${dead},${real.host}${real.pathname}`;
    sidecar = await startSidecarProcess(url, { LOG_LEVEL: 'warn' });

    const ready = await fetch(`${sidecar.url}/readyz`);
    const text = await ready.text();
    expect(ready.status).to.equal(200);
    expect(JSON.parse(text).details.database).to.deep.equal({ node: 2, nodes: 2, galera: null });
    expect(text, 'no host or port in the unsigned answer').to.not.include(String(dead)).and.not.include(real.host);
    expect(sidecar.output()).to.match(/"from":1,"to":2,"reason":"ECONNREFUSED".*the pool moves to the next one/);

    const id = await insertUser(db.pool, db.prefix, { email: 'failover@example.org' });
    const reply = await sidecar.client.post('/v1/events', { event: 'user_register', user_id: id });
    expect(reply.status, JSON.stringify(reply.body)).to.equal(200);
    expect(await rows(db.pool, 'SELECT uf_name FROM civicrm_uf_match WHERE uf_id = ?', [id])).to.deep.equal([{ uf_name: 'failover@example.org' }]);
  });
});
