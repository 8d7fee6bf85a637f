/**
 * EMAIL_DIRECTION=both: an address changed in the CRM is offered to WordPress (GET /v1/changes);
 * WordPress applying it changes nothing in the CRM; an address another WordPress user has is not
 * offered and stays a finding. Real sidecar, CiviCRM 6.14 tables.
 */
import { expect } from 'chai';
import { emailsOf, insertUser, linksOf } from '../support/fixtures';
import { sidecarSuite, type SidecarSuite } from '../support/sidecar';

async function registered(s: SidecarSuite, email: string): Promise<{ id: number; contactId: number }> {
  const id = await insertUser(s.db.pool, s.db.prefix, { email, firstName: 'Mail', lastName: 'User' });
  const reply = await s.running.client.post('/v1/events', { event: 'user_register', user_id: id });
  expect(reply.body.action).to.equal('created');
  return { id, contactId: reply.body.contact_id };
}

const editInCrm = (s: SidecarSuite, contactId: number, email: string) =>
  s.db.pool.query('UPDATE civicrm_email SET email = ? WHERE contact_id = ? AND is_primary = 1', [email, contactId]);

describe('EMAIL_DIRECTION=both: the CRM\'s address changes reach WordPress (real database, real sidecar)', () => {
  const s = sidecarSuite({ EMAIL_DIRECTION: 'both' }, { crm: 'civicrm-6.14' });

  it('when staff correct a linked contact\'s email in the CRM, then GET /v1/changes offers it for that user, and the report says WordPress takes it', async () => {
    const { id, contactId } = await registered(s, 'typo@exmaple.org');
    await editInCrm(s, contactId, 'fixed@example.org');

    const reply = await s.running.client.get('/v1/changes');

    expect(reply.status).to.equal(200);
    expect(reply.body).to.deep.equal({ email_direction: 'both', changes: [{ user_id: id, contact_id: contactId, email: 'fixed@example.org' }], next: null });
    const health = await s.running.client.get(`/v1/users/${id}/health`);
    expect(health.body.findings[0]).to.include({ kind: 'email_changed_in_crm' });
    expect(health.body.findings[0].repair).to.contain("WordPress takes the CRM's address fixed@example.org");
  });

  it('when WordPress then takes that address and its profile_update arrives, then the CRM keeps its rows, the link follows, and nothing is offered again', async () => {
    const { id, contactId } = await registered(s, 'before@example.org');
    await editInCrm(s, contactId, 'after@example.org');
    const emailsBefore = await emailsOf(s.db.pool, contactId);

    // What wp_update_user does: the address changes and profile_update fires.
    await s.db.pool.query(`UPDATE \`${s.db.prefix}users\` SET user_email = 'after@example.org' WHERE ID = ?`, [id]);
    const event = await s.running.client.post('/v1/events', { event: 'profile_update', user_id: id });

    expect(event.status).to.equal(200);
    expect(event.body.contact_id).to.equal(contactId);
    expect(await emailsOf(s.db.pool, contactId)).to.deep.equal(emailsBefore);
    expect((await linksOf(s.db.pool, id))[0].uf_name).to.equal('after@example.org');
    expect((await s.running.client.get('/v1/changes')).body.changes.map((c: { user_id: number }) => c.user_id)).to.not.include(id);
    // A login afterwards is unchanged: nothing loops.
    expect((await s.running.client.post('/v1/events', { event: 'wp_login', user_id: id })).body.action).to.equal('unchanged');
  });

  it('when the CRM\'s new address belongs to another WordPress user, then it is not offered and the finding names that user', async () => {
    const { id, contactId } = await registered(s, 'mine@example.org');
    const other = await insertUser(s.db.pool, s.db.prefix, { email: 'taken@example.org' });
    await editInCrm(s, contactId, 'Taken@Example.org');

    const changes = await s.running.client.get('/v1/changes');
    const health = await s.running.client.get(`/v1/users/${id}/health`);

    expect(changes.body.changes.map((c: { user_id: number }) => c.user_id)).to.not.include(id);
    expect(health.body.findings[0].repair).to.equal(null);
    expect(health.body.findings[0].explanation).to.contain(`user ${other} has that address there`);
  });

  it('when WordPress changed the address too, then nothing is offered: the next event carries WordPress\'s (both changed: WordPress wins)', async () => {
    const { id, contactId } = await registered(s, 'both.before@example.org');
    await editInCrm(s, contactId, 'both.crm@example.org');
    await s.db.pool.query(`UPDATE \`${s.db.prefix}users\` SET user_email = 'both.wp@example.org' WHERE ID = ?`, [id]);

    expect((await s.running.client.get('/v1/changes')).body.changes.map((c: { user_id: number }) => c.user_id)).to.not.include(id);
  });

  it('when changes are read a page at a time, then since and next walk them all once', async () => {
    const all = (await s.running.client.get('/v1/changes?limit=500')).body.changes;
    const paged: unknown[] = [];
    let since = 0;
    for (;;) {
      const page = await s.running.client.get(`/v1/changes?limit=1&since=${since}`);
      paged.push(...page.body.changes);
      if (page.body.next === null) break;
      since = page.body.next;
    }

    expect(all.length).to.be.greaterThan(0);
    expect(paged).to.deep.equal(all);
  });

  it('when since or limit is malformed, then 400', async () => {
    for (const q of ['since=-1', 'since=abc', 'limit=0', 'since=1&since=2']) {
      expect((await s.running.client.get(`/v1/changes?${q}`)).status, q).to.equal(400);
    }
  });
});

describe('EMAIL_DIRECTION=wordpress (the default): nothing goes to WordPress (real database, real sidecar)', () => {
  const s = sidecarSuite({}, { crm: 'civicrm-6.14' });

  it('when staff change a linked contact\'s email in the CRM, then GET /v1/changes offers nothing, the report leaves it for a person, and a login keeps the CRM\'s address', async () => {
    const { id, contactId } = await registered(s, 'stay@example.org');
    await editInCrm(s, contactId, 'crm.only@example.org');

    const changes = await s.running.client.get('/v1/changes');
    const health = await s.running.client.get(`/v1/users/${id}/health`);
    await s.running.client.post('/v1/events', { event: 'wp_login', user_id: id });

    expect(changes.body).to.deep.equal({ email_direction: 'wordpress', changes: [], next: null });
    expect(health.body.findings[0]).to.include({ kind: 'email_changed_in_crm', repair: null });
    expect((await emailsOf(s.db.pool, contactId)).map((e) => e.email)).to.deep.equal(['crm.only@example.org']);
  });
});
