/**
 * Limits and what a client may read: the event queue is bounded (503 + Retry-After), /readyz
 * names a problem without a credential, host or SQL, no answer carries SQL text or bound
 * values, and old audit rows are deleted by the scheduled job in small batches.
 */
import { expect } from 'chai';
import mysql from 'mysql2/promise';
import { pruneAudit } from '../../sidecar/src/domain/audit-retention';
import type { AuditStore, EngineStore } from '../../sidecar/src/domain/ports';
import { silentLogger } from '../../sidecar/src/lib/logger';
import { databaseOf } from '../../sidecar/src/lib/transaction';
import { testRepos } from '../support/engine';
import { createTestDatabase, rows, type TestDatabase } from '../support/database';
import { count, insertLink, insertContact, insertUser } from '../support/fixtures';
import { startSidecar } from '../support/sidecar';
import { startSidecarProcess } from '../support/sidecar-process';
import { testServer } from '../support/server';
import { waitUntil } from './reliability-support';

describe('edge limits', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => db.drop());

  /** Holds a user's state row, so that its event waits inside its transaction. */
  async function holdUserRow(id: number): Promise<{ release(): Promise<void> }> {
    const blocker = await db.pool.getConnection();
    await blocker.query('INSERT IGNORE INTO contact_bridge_user_state (domain_id, uf_id) VALUES (1, ?)', [id]);
    await blocker.beginTransaction();
    await blocker.query('SELECT * FROM contact_bridge_user_state WHERE domain_id = 1 AND uf_id = ? FOR UPDATE', [id]);
    return {
      async release() {
        await blocker.commit();
        blocker.release();
      },
    };
  }

  it('when more events wait than EVENT_QUEUE_LIMIT, then the next one is 503 with Retry-After and not written, and the waiting ones are served', async () => {
    const running = await startSidecar(db, { EVENT_QUEUE_LIMIT: '3' });
    try {
      const busy = [await insertUser(db.pool, db.prefix, { email: 'queue.a@example.org' }), await insertUser(db.pool, db.prefix, { email: 'queue.b@example.org' })];
      const waiting = await Promise.all([1, 2, 3].map((i) => insertUser(db.pool, db.prefix, { email: `queue.wait${i}@example.org` })));
      const refused = await insertUser(db.pool, db.prefix, { email: 'queue.refused@example.org' });
      const locks = await Promise.all(busy.map(holdUserRow));
      let reply, served;
      try {
        // Two transactions go in flight (held on their rows), three events wait behind them: the queue is full.
        const inFlight = busy.map((id) => running.client.post('/v1/events', { event: 'user_register', user_id: id }));
        const queued = waiting.map((id) => running.client.post('/v1/events', { event: 'user_register', user_id: id }));
        await waitUntil('three events wait', async () => /contact_bridge_events_waiting 3\b/.test(await fetch(`${running.sidecar.url}/metrics`).then((r) => r.text())), 20_000, 20);

        reply = await running.client.post('/v1/events', { event: 'user_register', user_id: refused });
        for (const lock of locks.splice(0)) await lock.release();
        served = await Promise.all([...inFlight, ...queued]);
      } finally {
        for (const lock of locks) await lock.release();
      }

      expect(reply.status).to.equal(503);
      expect(reply.body.error.code).to.equal('SERVICE_BUSY');
      expect(reply.headers.get('retry-after')).to.match(/^\d+$/);
      expect(served.map((r) => r.status)).to.deep.equal([200, 200, 200, 200, 200]);
      expect(await count(db.pool, 'civicrm_uf_match', 'uf_id = ?', [refused])).to.equal(0);
      expect(await count(db.pool, 'contact_bridge_audit', 'uf_id = ?', [refused])).to.equal(0);
      expect(await count(db.pool, 'civicrm_uf_match', `uf_id IN (${[...busy, ...waiting].join(',')})`)).to.equal(5);
    } finally {
      await running.stop();
    }
  });

  it('when a transaction keeps hitting a duplicate key, then the 503 answer carries neither the SQL nor the address it held', async () => {
    const contactId = await insertContact(db.pool, { emails: ['leak.me@example.org'] });
    const holder = await insertUser(db.pool, db.prefix, { email: 'leak.me@example.org' });
    await insertLink(db.pool, holder, contactId, 'leak.me@example.org');
    const id = await insertUser(db.pool, db.prefix, { email: 'leak.victim@example.org' });
    // A real duplicate-key error from the server, on every attempt: the plan's first write.
    const repos = testRepos(db.prefix);
    const engine = Object.create(repos.engine) as EngineStore;
    engine.planStatements = (...args) => [
      { sql: 'INSERT INTO civicrm_uf_match (domain_id, uf_id, uf_name, contact_id) VALUES (1, ?, ?, NULL)', values: [id, 'leak.me@example.org'] },
      ...repos.engine.planStatements(...args),
    ];
    const running = await startSidecar(db, {}, { repos: { ...repos, engine } });
    try {
      const reply = await running.client.post('/v1/events', { event: 'user_register', user_id: id });

      expect(reply.status).to.equal(503);
      expect(reply.body.error.code).to.equal('RETRY_EXHAUSTED');
      expect(JSON.stringify(reply.body)).to.not.match(/leak\.me|Duplicate|INSERT|civicrm_/);
      expect(await count(db.pool, 'civicrm_uf_match', 'uf_id = ?', [id])).to.equal(0);
    } finally {
      await running.stop();
    }
  });

  it('when the database refuses the sidecar\'s credentials, then /readyz says "database not reachable" without user, host or SQL, and the log has the detail', async () => {
    const user = `cb_ready_${Math.random().toString(36).slice(2, 8)}`;
    const server = new URL(testServer().baseUrl);
    const admin = await mysql.createConnection(testServer().baseUrl);
    await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'pw-ready-0123'`);
    await admin.query(`CREATE USER '${user}'@'localhost' IDENTIFIED BY 'pw-ready-0123'`);
    await admin.query(`GRANT ALL PRIVILEGES ON \`${db.name}\`.* TO '${user}'@'%'`);
    await admin.query(`GRANT ALL PRIVILEGES ON \`${db.name}\`.* TO '${user}'@'localhost'`);
    const url = new URL(db.url);
    url.username = user;
    url.password = 'pw-ready-0123';
    const sidecar = await startSidecarProcess(url.toString(), { LOG_LEVEL: 'info', MYSQL_POOL_SIZE: '3' });
    try {
      await admin.query(`DROP USER '${user}'@'%'`);
      await admin.query(`DROP USER '${user}'@'localhost'`);
      const [procs] = await admin.query<mysql.RowDataPacket[]>('SELECT id FROM information_schema.processlist WHERE user = ?', [user]);
      for (const p of procs) await admin.query(`KILL ${Number(p.id)}`).catch(() => undefined);

      let answer: { status: number; body: { status: string; problem: string } } | undefined;
      await waitUntil('/readyz reports the problem', async () => {
        const response = await fetch(`${sidecar.url}/readyz`);
        answer = { status: response.status, body: (await response.json()) as { status: string; problem: string } };
        return answer.status === 503;
      }, 30_000);

      // The answer: the problem in words, and what the start found of the CRM tables (no SQL).
      expect(answer!.body).to.deep.include({ status: 'not ready', problem: 'database not reachable' });
      expect(Object.keys(answer!.body).sort()).to.deep.equal(['details', 'problem', 'status']);
      const text = JSON.stringify(answer!.body);
      for (const secret of [user, 'pw-ready', 'Access denied', server.hostname, db.name]) expect(text).to.not.include(secret);
      await waitUntil('the log has the detail', async () => /Access denied|ECONN|closed state/.test(sidecar.output()), 10_000);
    } finally {
      sidecar.child.kill('SIGTERM');
      await sidecar.exited;
      await admin.end();
    }
  });

  it('when audit rows are older than AUDIT_RETENTION_DAYS, then the job deletes exactly those, in batches', async () => {
    await db.pool.query('DELETE FROM contact_bridge_audit');
    const values = [];
    for (let i = 0; i < 25; i++) values.push(`(1, ${1000 + i}, 'unchanged', NULL, NULL, 'wp_login', NULL, UTC_TIMESTAMP(3) - INTERVAL ${91 + i} DAY)`);
    for (let i = 0; i < 5; i++) values.push(`(1, ${2000 + i}, 'created', ${i + 1}, NULL, 'user_register', NULL, UTC_TIMESTAMP(3) - INTERVAL ${89 - i} DAY)`);
    await db.pool.query(`INSERT INTO contact_bridge_audit (domain_id, uf_id, action, contact_id, reason, source, sync_run_id, created_at) VALUES ${values.join(', ')}`);
    const real = testRepos(db.prefix).audit;
    let statements = 0;
    const audit: AuditStore = {
      deleteOlderThan: async (...args) => {
        statements++;
        return real.deleteOlderThan(...args);
      },
    };

    const deleted = await pruneAudit({ db: databaseOf(db.pool), audit, days: 90, logger: silentLogger, batchSize: 10 });

    expect(deleted).to.equal(25);
    expect(statements, 'batches of 10: 10, 10, 5').to.equal(3);
    expect((await rows<{ uf_id: number }>(db.pool, 'SELECT uf_id FROM contact_bridge_audit ORDER BY uf_id')).map((r) => r.uf_id)).to.deep.equal([2000, 2001, 2002, 2003, 2004]);
  });

  it('when the sidecar runs with AUDIT_RETENTION_DAYS and SYNC_CRON, then old audit rows go on the schedule', async () => {
    await db.pool.query(`INSERT INTO contact_bridge_audit (domain_id, uf_id, action, source, created_at) VALUES (1, 3000, 'unchanged', 'wp_login', UTC_TIMESTAMP(3) - INTERVAL 8 DAY), (1, 3001, 'created', 'user_register', UTC_TIMESTAMP(3) - INTERVAL 6 DAY)`);
    const running = await startSidecar(db, { AUDIT_RETENTION_DAYS: '7', SYNC_CRON: '* * * * * *' });
    try {
      await waitUntil('the 8-day-old row is gone', async () => (await count(db.pool, 'contact_bridge_audit', 'uf_id = 3000')) === 0, 30_000);
      expect(await count(db.pool, 'contact_bridge_audit', 'uf_id = 3001')).to.equal(1);
    } finally {
      await running.stop();
    }
  });
});
