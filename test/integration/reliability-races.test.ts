/**
 * Races on one sidecar: many events at once, for users whose emails collide and match known
 * contacts. Every assertion is on the rows; nothing here measures time.
 */
import { expect } from 'chai';
import { normaliseEmail } from '../../sidecar/src/domain/normalise-email';
import { forEachCrmFixture, rows } from '../support/database';
import { count, insertUser, linksOf } from '../support/fixtures';
import { sidecarSuite } from '../support/sidecar';
import { buildScenario, CLEAN, invariants, seedScenario, type ScenarioUser } from './reliability-support';

describe('reliability: concurrent events on one sidecar', () => {
  forEachCrmFixture((crm) => {
    const suite = sidecarSuite({}, { crm });

    it('when 200 users whose emails collide and match known contacts register at once, then each is linked or a conflict, once, with an audit row', async () => {
      const scenario = buildScenario(200, 1000, 'race200');
      await seedScenario(suite.db, scenario);
      const contactsBefore = await count(suite.db.pool, 'civicrm_contact');

      const replies = await Promise.all(
        scenario.users.map((u) => suite.running.client.post('/v1/events', { event: 'user_register', user_id: u.id })),
      );

      expect(replies.map((r) => r.status)).to.deep.equal(scenario.users.map(() => 200));
      const actionOf = new Map(scenario.users.map((u, i) => [u.id, replies[i].body.action as string]));
      expect(new Set(actionOf.values())).to.satisfy((s: Set<string>) => [...s].every((a) => ['matched', 'created', 'conflict'].includes(a)));

      // Per address: exactly one user holds it; the others are conflicts with no link.
      const byEmail = new Map<string, ScenarioUser[]>();
      for (const u of scenario.users) byEmail.set(normaliseEmail(u.email), [...(byEmail.get(normaliseEmail(u.email)) ?? []), u]);
      for (const [email, group] of byEmail) {
        const holders = await rows<{ uf_id: number }>(suite.db.pool, 'SELECT uf_id FROM civicrm_uf_match WHERE uf_name = ? AND domain_id = 1', [email]);
        expect(holders, email).to.have.length(1);
        for (const u of group) {
          const links = await linksOf(suite.db.pool, u.id);
          if (u.id === holders[0].uf_id) {
            expect(links, `user ${u.id}`).to.have.length(1);
            expect(actionOf.get(u.id)).to.be.oneOf(['matched', 'created']);
            // The best known contact (live, primary first, lowest id) is taken unless a user of another address holds it.
            const [best] = await rows<{ contact_id: number; holder: number | null }>(
              suite.db.pool,
              `SELECT e.contact_id, (SELECT m.uf_id FROM civicrm_uf_match m WHERE m.contact_id = e.contact_id) AS holder
                 FROM civicrm_email e JOIN civicrm_contact k ON k.id = e.contact_id
                WHERE e.email = ? AND k.is_deleted = 0 AND k.source IS NULL ORDER BY e.is_primary DESC, e.contact_id LIMIT 1`,
              [email],
            );
            if (best && (best.holder === null || best.holder === u.id)) expect(links[0].contact_id, email).to.equal(best.contact_id);
            if (!best) expect(actionOf.get(u.id), email).to.equal('created');
          } else {
            expect(links, `user ${u.id}`).to.have.length(0);
            expect(actionOf.get(u.id)).to.equal('conflict');
          }
        }
      }
      expect(await invariants(suite.db.pool)).to.deep.equal(CLEAN);
      const created = [...actionOf.values()].filter((a) => a === 'created').length;
      expect(await count(suite.db.pool, 'civicrm_contact')).to.equal(contactsBefore + created);
      // One audit row and one state row per user, saying what the reply said.
      const audit = await rows<{ uf_id: number; action: string }>(suite.db.pool, 'SELECT uf_id, action FROM contact_bridge_audit WHERE uf_id >= 1000 AND uf_id < 2000');
      expect(audit).to.have.length(200);
      for (const a of audit) expect(a.action, `audit of ${a.uf_id}`).to.equal(actionOf.get(Number(a.uf_id)));
      expect(await count(suite.db.pool, 'contact_bridge_user_state', 'uf_id >= 1000 AND uf_id < 2000')).to.equal(200);
    });

    it('when the same user_register for one new user arrives 50 times at once, then one contact and one link exist', async () => {
      const id = await insertUser(suite.db.pool, suite.db.prefix, { email: 'fifty@example.org', firstName: 'Fifty', lastName: 'Times' });
      const contactsBefore = await count(suite.db.pool, 'civicrm_contact');

      const replies = await Promise.all(
        Array.from({ length: 50 }, () => suite.running.client.post('/v1/events', { event: 'user_register', user_id: id })),
      );

      expect(replies.map((r) => r.status)).to.deep.equal(Array(50).fill(200));
      const actions = replies.map((r) => r.body.action as string).sort();
      expect(actions.filter((a) => a === 'created')).to.have.length(1);
      expect(actions.filter((a) => a === 'unchanged')).to.have.length(49);
      expect(new Set(replies.map((r) => r.body.contact_id)).size).to.equal(1);
      expect(await count(suite.db.pool, 'civicrm_contact')).to.equal(contactsBefore + 1);
      expect(await linksOf(suite.db.pool, id)).to.deep.equal([{ uf_id: id, uf_name: 'fifty@example.org', contact_id: replies[0].body.contact_id, domain_id: 1 }]);
      expect(await count(suite.db.pool, 'civicrm_email', 'contact_id = ?', [replies[0].body.contact_id])).to.equal(1);
      // The created outcome is audited; the 49 unchanged ones are counted in metrics only.
      expect(await count(suite.db.pool, 'contact_bridge_audit', 'uf_id = ?', [id])).to.equal(1);
      expect(await invariants(suite.db.pool)).to.deep.equal(CLEAN);
    });

    it('when 50 events of every kind for one known user arrive at once, then it ends linked to its contact, unchanged after', async () => {
      const id = await insertUser(suite.db.pool, suite.db.prefix, { email: 'mixed.kinds@example.org', firstName: 'Mixed' });
      const kinds = ['user_register', 'profile_update', 'wp_login'] as const;

      const replies = await Promise.all(
        Array.from({ length: 50 }, (_, i) => suite.running.client.post('/v1/events', { event: kinds[i % 3], user_id: id })),
      );
      const again = await suite.running.client.post('/v1/events', { event: 'wp_login', user_id: id });

      expect(replies.every((r) => r.status === 200)).to.equal(true);
      expect(replies.filter((r) => r.body.action === 'created')).to.have.length(1);
      expect(again.body.action).to.equal('unchanged');
      expect(await linksOf(suite.db.pool, id)).to.have.length(1);
      expect(await invariants(suite.db.pool)).to.deep.equal(CLEAN);
    });
  });
});
