/**
 * Faults: the database restarted under load, the sidecar killed mid-write, rows locked longer
 * than the server waits. The sidecar answers 503 while it cannot work (never 500, never a
 * crash), recovers by itself, and leaves nothing half-written. (SIGTERM draining is covered
 * in process-lifecycle.test.ts.)
 */
import { expect } from 'chai';
import type { Pool } from 'mysql2/promise';
import { createTestDatabase, rows, type TestDatabase } from '../support/database';
import { count, insertContact, insertUser, linksOf, snapshot } from '../support/fixtures';
import { testServer } from '../support/server';
import { startSidecar } from '../support/sidecar';
import { startSidecarProcess, type SidecarProcess } from '../support/sidecar-process';
import { canonicalCrmState, CLEAN, deliverWithRetry, invariants, sleep, waitUntil } from './reliability-support';

/** 40 users: 15 whose address a known contact has, 25 new. The same rows in any database. */
async function seedMixed(db: TestDatabase, tag: string): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 1; i <= 40; i++) {
    const email = `${tag}.${i}@example.org`;
    if (i <= 15) await insertContact(db.pool, { firstName: `Known${i}`, emails: [email] });
    ids.push(await insertUser(db.pool, db.prefix, { id: i, email, firstName: `First${i}`, lastName: i % 2 ? 'Odd' : '', login: `${tag}${i}` }));
  }
  return ids;
}

/** Waits until the server has no transaction left on `database` (a killed client's is rolled back). */
async function waitForNoTransactions(pool: Pool, database: string): Promise<void> {
  await waitUntil(`no open transaction on ${database}`, async () => {
    const [r] = await rows<{ n: number }>(
      pool,
      `SELECT COUNT(*) AS n FROM information_schema.innodb_trx t JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id
        WHERE p.db = ? AND p.id <> CONNECTION_ID()`,
      [database],
    );
    return Number(r.n) === 0;
  });
}

async function readyStatus(url: string): Promise<number> {
  try {
    return (await fetch(`${url}/readyz`)).status;
  } catch {
    return 0;
  }
}

describe('reliability: faults', () => {
  const databases: TestDatabase[] = [];
  const processes: SidecarProcess[] = [];
  async function database(): Promise<TestDatabase> {
    const db = await createTestDatabase();
    databases.push(db);
    return db;
  }

  after(async () => {
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    for (const db of databases) {
      await db.drop().catch(() => undefined);
    }
  });

  it('when MariaDB is killed and restarted while events arrive, then the process answers 503 (never 500), /readyz says 503, it recovers by itself and retried events end as without the fault', async function () {
    const server = testServer().privateInstance;
    if (!server) this.skip(); // needs the harness's own MariaDB to restart
    const reference = await database();
    const ids = await seedMixed(reference, 'outage');
    const refProcess = await startSidecarProcess(reference.url, { LOG_LEVEL: 'warn' });
    processes.push(refProcess);
    for (const id of ids) expect((await refProcess.client.post('/v1/events', { event: 'user_register', user_id: id })).status).to.equal(200);
    refProcess.child.kill('SIGTERM');
    await refProcess.exited;
    const expected = await canonicalCrmState(reference.pool);

    const db = await database();
    await seedMixed(db, 'outage');
    const sidecar = await startSidecarProcess(db.url, { LOG_LEVEL: 'info' });
    processes.push(sidecar);
    for (const id of ids.slice(0, 10)) expect((await sidecar.client.post('/v1/events', { event: 'user_register', user_id: id })).status).to.equal(200);

    // The outage: SIGKILL the server, keep it down 2.5 s, start it again on the same data.
    const restarted = server!.restart({ downMs: 2500 });
    await waitUntil('/readyz reports the outage', async () => (await readyStatus(sidecar.url)) === 503, 5_000, 20);
    const readyBody = (await fetch(`${sidecar.url}/readyz`).then((r) => r.json())) as { status: string; problem: string };
    const during = await sidecar.client.post('/v1/events', { event: 'user_register', user_id: ids[10] });
    // The rest arrive during the outage and are retried like the plugin's queue does.
    const deliveries = Promise.all(
      ids.slice(10).map((id) => deliverWithRetry(sidecar.client, { event: 'user_register', user_id: id }, { pauseMs: 200, attempts: 150 })),
    );
    await restarted;
    const delivered = await deliveries;
    await waitUntil('/readyz is 200 again', async () => (await readyStatus(sidecar.url)) === 200, 20_000);

    expect(during.status).to.equal(503);
    expect(during.body.error.code).to.be.oneOf(['DB_UNAVAILABLE', 'RETRY_EXHAUSTED']);
    expect(readyBody.status).to.equal('not ready');
    expect(readyBody.problem).to.match(/database not reachable/);
    const statuses = delivered.flatMap((d) => d.statuses);
    expect([...new Set(statuses)].sort(), 'statuses seen while the database was away').to.satisfy((s: number[]) => s.every((x) => x === 200 || x === 503));
    expect(statuses.filter((s) => s === 503).length, '503s seen').to.be.greaterThan(0);
    expect(delivered.map((d) => d.reply.status)).to.deep.equal(ids.slice(10).map(() => 200));
    expect(sidecar.child.exitCode, 'the process is still running').to.equal(null);
    const logs = sidecar.output().trim().split('\n').map((l) => JSON.parse(l));
    expect(logs.filter((l) => l.level === 'fatal'), 'no fatal log line').to.deep.equal([]);
    expect(logs.some((l) => l.code === 'DB_UNAVAILABLE'), 'the outage is logged').to.equal(true);

    await waitUntil('the test pool reconnects', async () => (await rows(db.pool, 'SELECT 1')).length === 1);
    expect(await canonicalCrmState(db.pool)).to.deep.equal(expected);
    expect(await invariants(db.pool)).to.deep.equal(CLEAN);
    sidecar.child.kill('SIGTERM');
    expect((await sidecar.exited).code).to.equal(0);
  });

  it('when the sidecar is killed (SIGKILL) between writing the contact and the link, then the transaction is all or nothing and redelivery links the user once', async () => {
    const db = await database();
    const id = await insertUser(db.pool, db.prefix, { email: 'killed.midway@example.org', firstName: 'Killed' });
    const before = await snapshot(db.pool);
    // Another session holds an uncommitted link row with this user's address: the sidecar's link
    // insert, its last write, waits on the unique (uf_name, domain_id) after the contact and email
    // are written. ((uf_id, domain_id) is not unique on CiviCRM 5.69+ nor on the bridge's tables.)
    const blocker = await db.pool.getConnection();
    await blocker.beginTransaction();
    await blocker.query('INSERT INTO civicrm_uf_match (domain_id, uf_id, uf_name, contact_id) VALUES (1, ?, ?, NULL)', [id + 1000, 'killed.midway@example.org']);
    const sidecar = await startSidecarProcess(db.url, { LOG_LEVEL: 'warn' });
    processes.push(sidecar);

    const inFlight = sidecar.client.post('/v1/events', { event: 'user_register', user_id: id }).catch((e: Error) => e);
    let waitingInsert = '';
    await waitUntil('the sidecar waits on its link insert', async () => {
      const [row] = await rows<{ info: string }>(
        db.pool,
        `SELECT info FROM information_schema.processlist WHERE db = ? AND info LIKE '%INSERT INTO civicrm_uf_match%' AND info NOT LIKE '%processlist%'`,
        [db.name],
      );
      waitingInsert = row?.info ?? '';
      return row !== undefined;
    });
    // What the sidecar's open transaction has written, seen through a dirty read.
    // (The link insert travels with the transaction's other last writes in one query.)
    const contactId = Number(/INSERT INTO civicrm_uf_match[^;]*VALUES \(1, \d+, '[^']*', (\d+)\)/.exec(waitingInsert)?.[1]);
    const dirty = await db.pool.getConnection();
    await dirty.query('SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED');
    const [uncommitted] = await dirty.query('SELECT c.source, e.email FROM civicrm_contact c JOIN civicrm_email e ON e.contact_id = c.id WHERE c.id = ?', [contactId]);
    dirty.release();
    sidecar.child.kill('SIGKILL');
    const reply = await inFlight;
    await blocker.rollback();
    blocker.release();
    await waitForNoTransactions(db.pool, db.name);

    expect(uncommitted, 'contact and email written, uncommitted, when the process died').to.deep.equal([
      { source: 'WordPress user', email: 'killed.midway@example.org' },
    ]);
    expect(reply).to.be.instanceOf(Error); // the connection died with the process
    // All or nothing. The transaction's last writes and its COMMIT travel in one query, which
    // the server may finish after the client died (it does here, once the blocker rolls
    // back): then everything is there; otherwise nothing is. Never a contact without its link.
    const afterKill = await snapshot(db.pool);
    const [contacts, emails, links, audit, states] = JSON.parse(afterKill) as Array<Array<Record<string, unknown>>>;
    const committedWhole =
      contacts.length === 1 &&
      emails.length === 1 &&
      emails[0].contact_id === contacts[0].id &&
      links.length === 1 &&
      links[0].contact_id === contacts[0].id &&
      links[0].uf_id === id &&
      audit.length === 1 &&
      states.length === 1;
    expect(afterKill === before || committedWhole, 'nothing half-written').to.equal(true);

    const restarted = await startSidecarProcess(db.url, { LOG_LEVEL: 'warn' });
    processes.push(restarted);
    const redelivered = await restarted.client.post('/v1/events', { event: 'user_register', user_id: id });
    expect(redelivered.status).to.equal(200);
    expect(redelivered.body.action).to.equal(committedWhole ? 'unchanged' : 'created');
    expect(await linksOf(db.pool, id)).to.deep.equal([{ uf_id: id, uf_name: 'killed.midway@example.org', contact_id: redelivered.body.contact_id, domain_id: 1 }]);
    expect(await invariants(db.pool)).to.deep.equal(CLEAN);
    restarted.child.kill('SIGTERM');
    expect((await restarted.exited).code).to.equal(0);
  });

  it('when the sidecar is killed (SIGKILL) in the middle of 150 events, then no contact lacks its link, and redelivering all of them links each user once', async () => {
    const db = await database();
    const ids: number[] = [];
    for (let i = 1; i <= 150; i++) ids.push(await insertUser(db.pool, db.prefix, { id: i, email: `crash.${i}@example.org`, login: `crash${i}` }));
    const sidecar = await startSidecarProcess(db.url, { LOG_LEVEL: 'warn' });
    processes.push(sidecar);

    let answered = 0;
    const sends = ids.map((id) =>
      sidecar.client.post('/v1/events', { event: 'user_register', user_id: id }).then(
        (r) => {
          answered++;
          return r.status;
        },
        () => 0,
      ),
    );
    await waitUntil('some events are answered', async () => answered >= 30, 20_000, 5);
    sidecar.child.kill('SIGKILL');
    const statuses = await Promise.all(sends);
    await waitForNoTransactions(db.pool, db.name);

    const linkedBeforeRedelivery = await count(db.pool, 'civicrm_uf_match');
    expect(statuses.filter((s) => s === 0).length, 'requests cut by the kill').to.be.greaterThan(0);
    expect(linkedBeforeRedelivery).to.be.at.least(statuses.filter((s) => s === 200).length);
    expect(await invariants(db.pool)).to.deep.equal(CLEAN);
    expect(await count(db.pool, 'civicrm_contact')).to.equal(linkedBeforeRedelivery);

    const restarted = await startSidecarProcess(db.url, { LOG_LEVEL: 'warn' });
    processes.push(restarted);
    const redelivered = await Promise.all(ids.map((id) => deliverWithRetry(restarted.client, { event: 'user_register', user_id: id })));

    expect(redelivered.map((d) => d.reply.status)).to.deep.equal(ids.map(() => 200));
    expect(await count(db.pool, 'civicrm_uf_match')).to.equal(150);
    expect(await count(db.pool, 'civicrm_contact')).to.equal(150);
    expect(await count(db.pool, 'civicrm_email')).to.equal(150);
    expect(await invariants(db.pool)).to.deep.equal(CLEAN);
    restarted.child.kill('SIGTERM');
    expect((await restarted.exited).code).to.equal(0);
  });

  describe('lock waits', () => {
    let db: TestDatabase;
    let original: number;

    before(async () => {
      db = await database();
      [{ v: original }] = await rows<{ v: number }>(db.pool, 'SELECT @@GLOBAL.innodb_lock_wait_timeout AS v');
      // New connections (the sidecar's pool below) wait 1 s for a row lock instead of 50.
      await db.pool.query('SET GLOBAL innodb_lock_wait_timeout = 1');
    });
    after(async () => {
      await db.pool.query('SET GLOBAL innodb_lock_wait_timeout = ?', [original]);
    });

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

    it('when a user row stays locked longer than every retry waits, then 503 RETRY_EXHAUSTED after a bounded number of attempts and nothing is written', async () => {
      const running = await startSidecar(db);
      try {
        const id = await insertUser(db.pool, db.prefix, { email: 'locked.long@example.org' });
        const lock = await holdUserRow(id);
        const before = await snapshot(db.pool);

        const reply = await running.client.post('/v1/events', { event: 'user_register', user_id: id });
        const afterRefusal = await snapshot(db.pool);
        await lock.release();
        const later = await running.client.post('/v1/events', { event: 'user_register', user_id: id });

        expect(reply.status).to.equal(503);
        expect(reply.body.error.code).to.equal('RETRY_EXHAUSTED');
        expect(reply.body.error.message).to.match(/^Gave up after 6 attempts/);
        expect(reply.body.error.message, 'no driver text').to.not.match(/Lock wait|SQL|Duplicate/);
        expect(afterRefusal).to.equal(before);
        expect(later.status).to.equal(200);
        expect(later.body.action).to.equal('created');
        expect(running.unexpectedErrors).to.deep.equal([]);
      } finally {
        await running.stop();
      }
    });

    it('when a user row is locked for a little longer than one wait, then the retry succeeds and the client sees 200', async () => {
      const running = await startSidecar(db);
      try {
        const id = await insertUser(db.pool, db.prefix, { email: 'locked.short@example.org' });
        const lock = await holdUserRow(id);

        const pending = running.client.post('/v1/events', { event: 'user_register', user_id: id });
        await sleep(1_500);
        await lock.release();
        const reply = await pending;

        expect(reply.status).to.equal(200);
        expect(reply.body.action).to.equal('created');
        expect(await linksOf(db.pool, id)).to.have.length(1);
        expect(await count(db.pool, 'contact_bridge_audit', 'uf_id = ?', [id])).to.equal(1);
      } finally {
        await running.stop();
      }
    });
  });
});
