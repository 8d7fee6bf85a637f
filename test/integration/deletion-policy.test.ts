/**
 * ON_USER_DELETE=keep|trash: what becomes of a deleted user's contact, through the public API
 * (the hook) and the bulk sync, on the bridge's tables and on CiviCRM 6.14's.
 */
import { expect } from 'chai';
import { forEachCrmFixture } from '../support/database';
import { contact, deleteUser, insertContact, insertLink, insertUser, linksOf } from '../support/fixtures';
import { sidecarSuite, type SidecarSuite } from '../support/sidecar';

async function registered(s: SidecarSuite, email: string): Promise<{ id: number; contactId: number }> {
  const id = await insertUser(s.db.pool, s.db.prefix, { email, firstName: 'Del', lastName: 'User' });
  const reply = await s.running.client.post('/v1/events', { event: 'user_register', user_id: id });
  expect(reply.status).to.equal(200);
  return { id, contactId: reply.body.contact_id };
}

async function deleted(s: SidecarSuite, id: number) {
  await deleteUser(s.db.pool, s.db.prefix, id);
  const reply = await s.running.client.post('/v1/events', { event: 'deleted_user', user_id: id });
  expect(reply.status).to.equal(200);
  return reply.body;
}

forEachCrmFixture((crm) => {
  describe('deletion policy: keep (the default)', () => {
    const s = sidecarSuite({}, { crm });

    it('when a user the bridge created a contact for is deleted, then the link goes and the contact stays as it was', async () => {
      const { id, contactId } = await registered(s, 'keep.me@example.org');

      const outcome = await deleted(s, id);

      expect(outcome).to.include({ action: 'unlinked', reason: 'user no longer exists; contact kept' });
      expect(await linksOf(s.db.pool, id)).to.deep.equal([]);
      expect((await contact(s.db.pool, contactId))!.is_deleted).to.equal(0);
    });
  });

  describe('deletion policy: trash', () => {
    const s = sidecarSuite({ ON_USER_DELETE: 'trash' }, { crm });
    before(async () => {
      await s.db.pool.query(`INSERT INTO civicrm_domain (id, name) VALUES (2, 'Second site')`);
    });

    it('when a user the bridge created a contact for is deleted, then the link goes and the contact is trashed, never deleted', async () => {
      const { id, contactId } = await registered(s, 'trash.me@example.org');

      const outcome = await deleted(s, id);

      expect(outcome).to.include({ action: 'unlinked', reason: `user no longer exists; contact ${contactId} moved to the trash` });
      expect(await linksOf(s.db.pool, id)).to.deep.equal([]);
      expect((await contact(s.db.pool, contactId))!.is_deleted).to.equal(1);
    });

    it('when the deleted user had been matched to an existing contact, then that contact is kept (TRASH_MATCHED_CONTACTS is off)', async () => {
      const contactId = await insertContact(s.db.pool, { firstName: 'Pre', lastName: 'Existing', emails: ['matched.del@example.org'] });
      const { id, contactId: linked } = await registered(s, 'matched.del@example.org');
      expect(linked).to.equal(contactId);

      const outcome = await deleted(s, id);

      expect(outcome.reason).to.equal('user no longer exists; contact kept');
      expect((await contact(s.db.pool, contactId))!.is_deleted).to.equal(0);
    });

    it("when another domain's link points to the contact, then it is kept", async () => {
      const { id, contactId } = await registered(s, 'two.domains@example.org');
      await insertLink(s.db.pool, id, contactId, 'two.domains@example.org', 2);

      await deleted(s, id);

      expect((await contact(s.db.pool, contactId))!.is_deleted).to.equal(0);
      expect((await linksOf(s.db.pool, id)).map((l) => l.domain_id)).to.deep.equal([2]);
    });

    it("when the bulk sync finds a deleted user's link, then it applies the same policy", async () => {
      const { id, contactId } = await registered(s, 'bulk.trash@example.org');
      await deleteUser(s.db.pool, s.db.prefix, id);

      const started = await s.running.client.post('/v1/sync', {});
      for (;;) {
        const run = await s.running.client.get(`/v1/sync/${started.body.id}`);
        if (run.body.status !== 'running') {
          expect(run.body.status).to.equal('completed');
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }

      expect(await linksOf(s.db.pool, id)).to.deep.equal([]);
      expect((await contact(s.db.pool, contactId))!.is_deleted).to.equal(1);
    });
  });

  describe('deletion policy: trash matched contacts too', () => {
    const s = sidecarSuite({ ON_USER_DELETE: 'trash', TRASH_MATCHED_CONTACTS: 'true' }, { crm });

    it('when a matched user is deleted, then its contact is trashed', async () => {
      const contactId = await insertContact(s.db.pool, { firstName: 'Pre', lastName: 'Existing', emails: ['matched.trash@example.org'] });
      const { id } = await registered(s, 'matched.trash@example.org');

      await deleted(s, id);

      expect((await contact(s.db.pool, contactId))!.is_deleted).to.equal(1);
    });
  });
});
