import { expect } from 'chai';
import { createTestDatabase, rows, type TestDatabase } from '../support/database';
import { insertUser } from '../support/fixtures';
import { startSidecar } from '../support/sidecar';

describe('multisite: blog to CRM domain mapping', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
    await db.pool.query(`INSERT INTO civicrm_domain (id, name) VALUES (2, 'Second site')`);
  });
  after(async () => db.drop());

  it('when CRM_DOMAIN_BY_BLOG maps blog 3 to domain 2, then its events link in domain 2 and other blogs in domain 1', async () => {
    const running = await startSidecar(db, { CRM_DOMAIN_BY_BLOG: '3:2' });
    try {
      const id = await insertUser(db.pool, db.prefix, { email: 'multi@example.org' });

      const inMain = await running.client.post('/v1/events', { event: 'user_register', user_id: id, blog_id: 1 });
      const inSecond = await running.client.post('/v1/events', { event: 'user_register', user_id: id, blog_id: 3 });

      expect(inMain.body.action).to.equal('created');
      expect(inSecond.body).to.include({ action: 'matched', contact_id: inMain.body.contact_id });
      expect(await rows(db.pool, 'SELECT domain_id, contact_id FROM civicrm_uf_match WHERE uf_id = ? ORDER BY domain_id', [id])).to.deep.equal([
        { domain_id: 1, contact_id: inMain.body.contact_id },
        { domain_id: 2, contact_id: inMain.body.contact_id },
      ]);
    } finally {
      await running.stop();
    }
  });

  it('when CRM_DOMAIN_BY_BLOG names a domain that does not exist, then the sidecar does not start and says which', async () => {
    let message = '';
    try {
      const running = await startSidecar(db, { CRM_DOMAIN_BY_BLOG: '4:9' });
      await running.stop();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).to.match(/CRM_DOMAIN_BY_BLOG maps blog 4 to 9: no such civicrm_domain row/);
  });
});
