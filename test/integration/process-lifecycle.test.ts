import { expect } from 'chai';
import { createTestDatabase, forEachCrmFixture, type TestDatabase } from '../support/database';
import { insertUser, linksOf } from '../support/fixtures';
import { spawnSidecar, startSidecarProcess } from '../support/sidecar-process';
import { TEST_SECRET } from '../support/sidecar';

describe('sidecar process lifecycle', () => {
  forEachCrmFixture((crm) => {
    let db: TestDatabase;
    before(async () => {
      db = await createTestDatabase({ crm });
    });
    after(async () => db.drop());

    it('when BRIDGE_SECRET is missing, then the process exits 1 with a JSON log line naming it', async () => {
      const spawned = spawnSidecar({ MYSQL_URL: db.url });

      const { code } = await spawned.exited;

      expect(code).to.equal(1);
      const line = JSON.parse(spawned.output().trim().split('\n').pop()!);
      expect(line.level).to.equal('fatal');
      expect(line.msg).to.match(/BRIDGE_SECRET is required/);
    });

    it('when the database cannot be reached at start, then the process exits 1 and says so', async () => {
      const spawned = spawnSidecar({ MYSQL_URL: 'mysql://nobody:x@127.0.0.1:1/nothing', BRIDGE_SECRET: TEST_SECRET });

      const { code } = await spawned.exited;

      expect(code).to.equal(1);
      expect(spawned.output()).to.match(/ECONNREFUSED|connect/);
    });

    it('when SIGTERM arrives during a request, then the request completes, new connections are refused and the process exits 0', async () => {
      const sidecar = await startSidecarProcess(db.url);
      const id = await insertUser(db.pool, db.prefix, { email: 'sigterm@example.org' });
      // Hold the user's state row so that the event waits inside its transaction.
      const blocker = await db.pool.getConnection();
      await blocker.query('INSERT INTO contact_bridge_user_state (domain_id, uf_id) VALUES (1, ?)', [id]);
      await blocker.beginTransaction();
      await blocker.query('SELECT * FROM contact_bridge_user_state WHERE domain_id = 1 AND uf_id = ? FOR UPDATE', [id]);
      const inFlight = sidecar.client.post('/v1/events', { event: 'user_register', user_id: id });
      await new Promise((r) => setTimeout(r, 300));

      sidecar.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      const refused = await fetch(`${sidecar.url}/healthz`).then(() => false, () => true);
      await blocker.commit();
      blocker.release();
      const reply = await inFlight;
      const { code } = await sidecar.exited;

      expect(reply.status).to.equal(200);
      expect(reply.body.action).to.equal('created');
      expect(refused).to.equal(true);
      expect(code).to.equal(0);
      expect(await linksOf(db.pool, id)).to.have.length(1);
      const logs = sidecar.output().trim().split('\n').map((l) => JSON.parse(l));
      expect(logs.map((l) => l.msg)).to.include('stopped');
    });

    it('when the CRM tables lack a column the bridge needs, then the process exits 1 with a JSON log line naming it', async () => {
      const broken = await createTestDatabase({ crm });
      try {
        await broken.pool.query('ALTER TABLE civicrm_contact DROP COLUMN addressee_id');
        const spawned = spawnSidecar({ MYSQL_URL: broken.url, BRIDGE_SECRET: TEST_SECRET, PORT: '0' });

        const { code } = await spawned.exited;

        expect(code).to.equal(1);
        const line = JSON.parse(spawned.output().trim().split('\n').pop()!);
        expect(line).to.include({ level: 'fatal', code: 'SCHEMA_INVALID' });
        expect(line.msg).to.match(/civicrm_contact has no column addressee_id/);
      } finally {
        await broken.drop();
      }
    });
  });
});
