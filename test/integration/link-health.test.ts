/**
 * Link health through the public API, on CiviCRM 6.14's own tables ((uf_id, domain_id) not
 * unique, so duplicate links can exist): every kind of damage planted once, the report finds each
 * and nothing else, a dry run writes nothing, a repair fixes what is safe and leaves the rest, a
 * second repair changes nothing, a repair while hooks arrive leaves one link per user.
 */
import { expect } from 'chai';
import type { Pool } from 'mysql2/promise';
import { reconcileUser } from '../../sidecar/src/domain/reconcile-users';
import { createTestDatabase, rows, type TestDatabase } from '../support/database';
import { engineDeps, gatedStore, testRepos } from '../support/engine';
import { contact, count, emailsOf, insertContact, insertLink, insertUser, linksOf, snapshot } from '../support/fixtures';
import { sidecarSuite, startSidecar, type SidecarSuite } from '../support/sidecar';

interface FindingJson {
  kind: string;
  user_id: number | null;
  contact_ids: number[];
  explanation: string;
  repair: string | null;
}

interface Planted {
  healthy: number;
  unlinked: number;
  unlinkedContact: number;
  ambiguous: number;
  ambiguousPick: number;
  ambiguousOther: number;
  goneUser: number;
  goneUserContact: number;
  contactGone: number;
  trashed: number;
  trashedContact: number;
  wpDrift: number;
  wpDriftContact: number;
  crmDrift: number;
  crmEmail: number;
  duplicate: number;
  duplicateKept: number;
  duplicateOther: number;
  twiceA: number;
  twiceB: number;
  twiceContact: number;
}

async function linkedUser(s: SidecarSuite, email: string, first = 'A', last = 'User'): Promise<{ id: number; contactId: number }> {
  const id = await insertUser(s.db.pool, s.db.prefix, { email, firstName: first, lastName: last });
  const outcome = await reconcileUser(engineDeps(s.db), id, 'user_register');
  return { id, contactId: outcome.contactId! };
}

async function plant(s: SidecarSuite): Promise<Planted> {
  const pool = s.db.pool;
  const prefix = s.db.prefix;
  const healthy = await linkedUser(s, 'healthy@example.org');
  // Healthy too: a user matched by a contact's non-primary address (the contact keeps its primary, as CiviCRM does).
  await insertContact(pool, { firstName: 'Work', lastName: 'Address', emails: [{ email: 'work.primary@example.com', primary: true }, 'home.other@example.org'] });
  await linkedUser(s, 'home.other@example.org');
  // An unlinked user whose address a contact has.
  const unlinkedContact = await insertContact(pool, { firstName: 'Una', lastName: 'Linked', emails: ['una@example.org'] });
  const unlinked = await insertUser(pool, prefix, { email: 'una@example.org', firstName: 'Una', lastName: 'Linked' });
  // An unlinked user whose address two live contacts hold: the rules pick the primary holder.
  const ambiguousOther = await insertContact(pool, { firstName: 'Amb', lastName: 'Other', emails: ['x@example.org', 'amb@example.org'] });
  const ambiguousPick = await insertContact(pool, { firstName: 'Amb', lastName: 'Pick', emails: ['amb@example.org'] });
  const ambiguous = await insertUser(pool, prefix, { email: 'amb@example.org', firstName: 'Amb', lastName: 'User' });
  // A link whose user is gone.
  const goneUserContact = await insertContact(pool, { firstName: 'Gone', emails: ['gone@example.org'] });
  const goneUser = 900000;
  await insertLink(pool, goneUser, goneUserContact, 'gone@example.org');
  // A link whose contact does not exist (written with the foreign keys off, as a restored backup can be).
  const contactGone = await insertUser(pool, prefix, { email: 'lost@example.org', firstName: 'Lost', lastName: 'Contact' });
  const connection = await pool.getConnection();
  try {
    await connection.query('SET SESSION foreign_key_checks = 0');
    await connection.query(`INSERT INTO civicrm_uf_match (domain_id, uf_id, uf_name, contact_id) VALUES (1, ?, 'lost@example.org', 987654)`, [contactGone]);
    await connection.query('SET SESSION foreign_key_checks = 1');
  } finally {
    connection.release();
  }
  // A link to a contact in the trash.
  const trashedUser = await linkedUser(s, 'trash@example.org');
  await pool.query('UPDATE civicrm_contact SET is_deleted = 1 WHERE id = ?', [trashedUser.contactId]);
  // WordPress changed an address without a hook reaching the sidecar.
  const wpDrift = await linkedUser(s, 'old.wp@example.org');
  await pool.query(`UPDATE \`${prefix}users\` SET user_email = 'new.wp@example.org' WHERE ID = ?`, [wpDrift.id]);
  // The CRM changed a link's uf_name.
  const crmDrift = await linkedUser(s, 'crm.uf@example.org');
  await pool.query(`UPDATE civicrm_uf_match SET uf_name = 'edited.uf@example.org' WHERE uf_id = ?`, [crmDrift.id]);
  // The CRM changed a contact's primary email.
  const crmEmail = await linkedUser(s, 'crm.email@example.org');
  await pool.query(`UPDATE civicrm_email SET email = 'staff.fixed@example.org' WHERE contact_id = ? AND is_primary = 1`, [crmEmail.contactId]);
  // A user linked twice (possible since (uf_id, domain_id) is not unique).
  const duplicate = await linkedUser(s, 'dup@example.org');
  const duplicateOther = await insertContact(pool, { firstName: 'Dup', lastName: 'Other', emails: ['dup.other@example.org'] });
  await insertLink(pool, duplicate.id, duplicateOther, null);
  // One contact linked to two users: CiviCRM's unique (contact_id, domain_id) forbids it, so this
  // is a database without that index (an old or damaged one; the bridge never drops it).
  await pool.query('ALTER TABLE civicrm_uf_match ADD INDEX test_contact_id (contact_id), DROP INDEX UI_contact_domain_id');
  const twiceA = await linkedUser(s, 'twice.a@example.org');
  const twiceB = await insertUser(pool, prefix, { email: 'twice.b@example.org', firstName: 'Twice', lastName: 'B' });
  await insertLink(pool, twiceB, twiceA.contactId, 'twice.b@example.org');
  return {
    healthy: healthy.id,
    unlinked,
    unlinkedContact,
    ambiguous,
    ambiguousPick,
    ambiguousOther,
    goneUser,
    goneUserContact,
    contactGone,
    trashed: trashedUser.id,
    trashedContact: trashedUser.contactId,
    wpDrift: wpDrift.id,
    wpDriftContact: wpDrift.contactId,
    crmDrift: crmDrift.id,
    crmEmail: crmEmail.id,
    duplicate: duplicate.id,
    duplicateKept: duplicate.contactId,
    duplicateOther,
    twiceA: twiceA.id,
    twiceB,
    twiceContact: twiceA.contactId,
  };
}

async function waitForRepair(s: SidecarSuite, id: number): Promise<any> {
  for (;;) {
    const r = await s.running.client.get(`/v1/repair/${id}`);
    expect(r.status).to.equal(200);
    if (r.body.status !== 'running') return r.body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function allFindings(s: SidecarSuite, query = ''): Promise<FindingJson[]> {
  const out: FindingJson[] = [];
  let after: string | null = null;
  for (;;) {
    const reply: { status: number; body: { findings: FindingJson[]; next: string | null } } = await s.running.client.get(`/v1/health?limit=2${query}${after === null ? '' : `&after=${after}`}`);
    expect(reply.status).to.equal(200);
    out.push(...reply.body.findings);
    if (reply.body.next === null) return out;
    after = reply.body.next;
  }
}

const linkCount = (pool: Pool, ufId: number) => count(pool, 'civicrm_uf_match', 'uf_id = ? AND domain_id = 1', [ufId]);

describe('link health: find and repair broken links, on CiviCRM 6.14 tables (real database, real sidecar)', () => {
  const s = sidecarSuite({}, { crm: 'civicrm-6.14' });
  let p: Planted;
  before(async () => {
    p = await plant(s);
  });

  it('when every kind of damage is planted once, then GET /v1/health counts each planted case and nothing else', async () => {
    const reply = await s.running.client.get('/v1/health?limit=500');

    expect(reply.status).to.equal(200);
    expect(reply.body.domain_id).to.equal(1);
    expect(reply.body.next).to.equal(null);
    // twice.b is linked to twice.a's contact, whose primary email is twice.a's: that is also an
    // address the CRM holds differently from WordPress (and no value was recorded for twice.b).
    expect(reply.body.counts).to.deep.equal({
      user_unlinked: 2,
      link_user_gone: 1,
      link_contact_gone: 1,
      link_contact_trashed: 1,
      uf_name_drift: 2,
      email_changed_in_crm: 2,
      duplicate_user_link: 1,
      contact_linked_twice: 1,
      ambiguous_email: 1,
    });
    const found = (reply.body.findings as FindingJson[]).map((f) => [f.kind, f.user_id, f.contact_ids, f.repair === null ? 'person' : 'repair']);
    expect(found).to.have.deep.members([
      ['user_unlinked', p.unlinked, [p.unlinkedContact], 'repair'],
      ['user_unlinked', p.ambiguous, [p.ambiguousPick], 'repair'],
      ['ambiguous_email', p.ambiguous, [p.ambiguousPick, p.ambiguousOther], 'repair'],
      ['link_user_gone', p.goneUser, [p.goneUserContact], 'repair'],
      ['link_contact_gone', p.contactGone, [987654], 'repair'],
      ['link_contact_trashed', p.trashed, [p.trashedContact], 'person'],
      ['uf_name_drift', p.wpDrift, [p.wpDriftContact], 'repair'],
      ['uf_name_drift', p.crmDrift, found.find((f) => f[0] === 'uf_name_drift' && f[1] === p.crmDrift)![2], 'person'],
      ['email_changed_in_crm', p.crmEmail, found.find((f) => f[0] === 'email_changed_in_crm' && f[1] === p.crmEmail)![2], 'person'],
      ['email_changed_in_crm', p.twiceB, [p.twiceContact], 'person'],
      ['duplicate_user_link', p.duplicate, [p.duplicateKept, p.duplicateOther], 'repair'],
      ['contact_linked_twice', null, [p.twiceContact], 'person'],
    ]);
    const byKind = (kind: string) => (reply.body.findings as FindingJson[]).filter((f) => f.kind === kind);
    expect(byKind('uf_name_drift').find((f) => f.user_id === p.wpDrift)!.explanation).to.contain('WordPress changed it');
    expect(byKind('uf_name_drift').find((f) => f.user_id === p.crmDrift)!.explanation).to.contain('changed in the CRM');
    expect(byKind('contact_linked_twice')[0].explanation).to.contain(`users ${p.twiceA}, ${p.twiceB}`);
    expect(byKind('ambiguous_email')[0].repair).to.contain(`contact ${p.ambiguousPick}`);
  });

  it('when the report is read two findings at a time, then the pages together are the whole report in order, and a kind filter gives that kind only', async () => {
    const whole = (await s.running.client.get('/v1/health?limit=500')).body.findings as FindingJson[];

    expect(await allFindings(s)).to.deep.equal(whole);
    expect(await allFindings(s, '&kind=uf_name_drift')).to.deep.equal(whole.filter((f) => f.kind === 'uf_name_drift'));
  });

  it('when a user is asked about, then its link state is told: ok, drift, contact trashed, contact gone, not linked', async () => {
    const state = async (id: number) => (await s.running.client.get(`/v1/users/${id}/health`)).body;

    expect(await state(p.healthy)).to.deep.include({ state: 'ok', findings: [] });
    expect((await state(p.crmEmail)).state).to.equal('drift');
    expect(await state(p.trashed)).to.deep.include({ state: 'contact_trashed', contact_id: p.trashedContact });
    expect((await state(p.contactGone)).state).to.equal('contact_gone');
    expect(await state(p.unlinked)).to.deep.include({ state: 'not_linked', contact_id: null });
    expect((await state(p.twiceA)).findings.map((f: FindingJson) => f.kind)).to.deep.equal(['contact_linked_twice']);
  });

  it('when /v1/links is asked with=state (the Users column), then each link carries its state in one call, and another with is refused', async () => {
    const ids = [p.healthy, p.trashed, p.crmEmail, p.unlinked].join(',');

    const reply = await s.running.client.get(`/v1/links?user_ids=${ids}&with=state`);

    expect(reply.status).to.equal(200);
    expect(reply.body.links.map((l: { user_id: number; state: string }) => [l.user_id, l.state])).to.have.deep.members([
      [p.healthy, 'ok'],
      [p.trashed, 'contact_trashed'],
      [p.crmEmail, 'drift'],
    ]);
    expect((await s.running.client.get(`/v1/links?user_ids=${ids}`)).body.links[0]).to.not.have.property('state');
    expect((await s.running.client.get(`/v1/links?user_ids=${ids}&with=names`)).status).to.equal(400);
  });

  it('when a dry run repair runs, then it says what it would do, per kind, and the database is unchanged', async () => {
    const before = await snapshot(s.db.pool);

    const started = await s.running.client.post('/v1/repair', { dry_run: true });
    expect(started.status).to.equal(202);
    const run = await waitForRepair(s, started.body.id);

    expect(run).to.deep.include({ status: 'completed', dry_run: true, error: null });
    expect(run.counts.user_unlinked).to.deep.equal({ found: 2, repaired: 2, left: 0 });
    expect(run.counts.uf_name_drift).to.deep.equal({ found: 2, repaired: 1, left: 1 });
    expect(run.counts.link_contact_trashed).to.deep.equal({ found: 1, repaired: 0, left: 1 });
    expect(run.changes).to.have.length(7);
    expect(run.changes).to.deep.include({ kind: 'duplicate_user_link', user_id: p.duplicate, contact_ids: [p.duplicateKept, p.duplicateOther], change: run.changes.find((c: any) => c.kind === 'duplicate_user_link').change });
    expect(await snapshot(s.db.pool)).to.equal(before);
  });

  it('when the repair runs, then the safe repairs are made, the rest is left for a person, and a second health check has nothing repairable', async () => {
    const started = await s.running.client.post('/v1/repair', {});
    const run = await waitForRepair(s, started.body.id);

    expect(run).to.deep.include({ status: 'completed', dry_run: false, changes: [] });
    expect(run.counts).to.deep.equal({
      user_unlinked: { found: 2, repaired: 2, left: 0 },
      link_user_gone: { found: 1, repaired: 1, left: 0 },
      link_contact_gone: { found: 1, repaired: 1, left: 0 },
      link_contact_trashed: { found: 1, repaired: 0, left: 1 },
      uf_name_drift: { found: 2, repaired: 1, left: 1 },
      email_changed_in_crm: { found: 2, repaired: 0, left: 2 },
      duplicate_user_link: { found: 1, repaired: 1, left: 0 },
      contact_linked_twice: { found: 1, repaired: 0, left: 1 },
      ambiguous_email: { found: 1, repaired: 1, left: 0 },
    });
    const pool = s.db.pool;
    expect((await linksOf(pool, p.unlinked)).map((l) => l.contact_id)).to.deep.equal([p.unlinkedContact]);
    expect((await linksOf(pool, p.ambiguous)).map((l) => l.contact_id)).to.deep.equal([p.ambiguousPick]);
    expect(await linkCount(pool, p.goneUser)).to.equal(0);
    expect(await contact(pool, p.goneUserContact)).to.not.equal(undefined);
    const [relinked] = await linksOf(pool, p.contactGone);
    expect(relinked.contact_id).to.not.equal(987654);
    expect((await emailsOf(pool, relinked.contact_id!)).map((e) => e.email)).to.deep.equal(['lost@example.org']);
    expect((await linksOf(pool, p.wpDrift))[0].uf_name).to.equal('new.wp@example.org');
    expect((await emailsOf(pool, p.wpDriftContact)).find((e) => e.is_primary)!.email).to.equal('new.wp@example.org');
    expect((await linksOf(pool, p.duplicate)).map((l) => l.contact_id)).to.deep.equal([p.duplicateKept]);
    expect(await contact(pool, p.duplicateOther)).to.not.equal(undefined);
    // Left as they are.
    expect((await linksOf(pool, p.trashed)).map((l) => l.contact_id)).to.deep.equal([p.trashedContact]);
    expect((await linksOf(pool, p.crmDrift))[0].uf_name).to.equal('edited.uf@example.org');
    expect(await count(pool, 'civicrm_uf_match', 'contact_id = ?', [p.twiceContact])).to.equal(2);

    const after = await s.running.client.get('/v1/health?limit=500');
    expect((after.body.findings as FindingJson[]).filter((f) => f.repair !== null)).to.deep.equal([]);
    expect(after.body.counts).to.deep.include({ link_contact_trashed: 1, uf_name_drift: 1, email_changed_in_crm: 2, contact_linked_twice: 1, user_unlinked: 0 });
  });

  it('when the repair runs a second time, then it changes nothing', async () => {
    const before = await snapshot(s.db.pool);

    const run = await waitForRepair(s, (await s.running.client.post('/v1/repair', {})).body.id);

    expect(run.status).to.equal('completed');
    expect(Object.values(run.counts as Record<string, { repaired: number }>).every((c) => c.repaired === 0)).to.equal(true);
    expect(await snapshot(s.db.pool)).to.equal(before);
  });

  it('when the health routes get bad input, then 400 or 404 with the error shape, and nothing is started', async () => {
    const c = s.running.client;
    const runs = await count(s.db.pool, 'contact_bridge_repair_run');
    for (const path of ['/v1/health?kind=nope', '/v1/health?limit=0', '/v1/health?limit=501', '/v1/health?after=zz', '/v1/health?kind=a&kind=b', '/v1/users/0/health', '/v1/repair/abc']) {
      const r = await c.get(path);
      expect(r.status, path).to.equal(400);
      expect(r.body.error.code, path).to.equal('BAD_REQUEST');
    }
    expect((await c.get('/v1/repair/999999')).status).to.equal(404);
    for (const body of [{ kinds: ['nope'] }, { kinds: [] }, { dry_run: 'yes' }, { extra: 1 }]) {
      expect((await c.post('/v1/repair', body)).status, JSON.stringify(body)).to.equal(400);
    }
    expect(await count(s.db.pool, 'contact_bridge_repair_run')).to.equal(runs);
  });

  it('when the health routes are called unsigned, then 401', async () => {
    for (const [method, path] of [['GET', '/v1/health'], ['GET', `/v1/users/${p.healthy}/health`], ['POST', '/v1/repair'], ['GET', '/v1/repair/1']]) {
      const r = await fetch(`${s.running.sidecar.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
      expect(r.status, path).to.equal(401);
    }
  });

  it('when a repair is asked only for some kinds, then only those are repaired', async () => {
    const id = await insertUser(s.db.pool, s.db.prefix, { email: 'only.kinds@example.org', firstName: 'Only', lastName: 'Kinds' });
    const run = await waitForRepair(s, (await s.running.client.post('/v1/repair', { kinds: ['duplicate_user_link'] })).body.id);

    expect(run.counts.user_unlinked).to.deep.equal({ found: 1, repaired: 0, left: 1 });
    expect(await linkCount(s.db.pool, id)).to.equal(0);
  });
});

describe('link health: a repair while hooks arrive (real database, real sidecar)', () => {
  const s = sidecarSuite({}, { crm: 'civicrm-6.14' });

  it('when hooks for the same unlinked users arrive during a repair, then every user ends with one link and one contact', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 300; i += 1) ids.push(await insertUser(s.db.pool, s.db.prefix, { email: `race${i}@example.org`, firstName: 'Race', lastName: String(i) }));

    const started = await s.running.client.post('/v1/repair', {});
    expect(started.status).to.equal(202);
    const hooks = Promise.all(ids.map((id) => s.running.client.post('/v1/events', { event: 'profile_update', user_id: id })));
    const [run, replies] = await Promise.all([waitForRepair(s, started.body.id), hooks]);

    expect(run.status).to.equal('completed');
    expect(replies.every((r) => r.status === 200)).to.equal(true);
    const perUser = await rows<{ uf_id: number; n: number }>(s.db.pool, 'SELECT uf_id, COUNT(*) AS n FROM civicrm_uf_match WHERE uf_id IN (?) GROUP BY uf_id', [ids]);
    expect(perUser).to.have.length(300);
    expect(perUser.every((r) => Number(r.n) === 1)).to.equal(true);
    const [dup] = await rows<{ n: number }>(s.db.pool, "SELECT COUNT(*) AS n FROM civicrm_email WHERE email LIKE 'race%' GROUP BY email HAVING COUNT(*) > 1");
    expect(dup).to.equal(undefined);
  });

});

describe('link health: a repair and a sync never run at once in a domain (real database, real sidecar)', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase({ crm: 'civicrm-6.14' });
    for (let i = 0; i < 20; i += 1) await insertUser(db.pool, db.prefix, { email: `busy${i}@example.org` });
  });
  after(async () => db.drop());

  it('when a repair is asked while a sync holds its first chunk, then 409 with the sync run\'s id, and nothing is recorded', async () => {
    const repos = testRepos(db.prefix);
    const { store, gate } = gatedStore(repos.engine, 'readRange');
    const running = await startSidecar(db, {}, { repos: { ...repos, engine: store } });
    try {
      const sync = await running.client.post('/v1/sync', {});
      expect(sync.status).to.equal(202);
      await gate.reached;

      const refused = await running.client.post('/v1/repair', { dry_run: true });

      expect(refused.status).to.equal(409);
      expect(refused.body.id).to.equal(sync.body.id);
      expect(await count(db.pool, 'contact_bridge_repair_run')).to.equal(0);
      gate.release();
    } finally {
      gate.release();
      await running.stop();
    }
  });

  it('when a sync is asked while a repair holds its first range, then 409, and the repair completes', async () => {
    const repos = testRepos(db.prefix);
    let release!: () => void;
    const open = new Promise<void>((resolve) => (release = resolve));
    let reached!: () => void;
    const atGate = new Promise<void>((resolve) => (reached = resolve));
    const health = Object.create(repos.health) as typeof repos.health;
    health.readRange = async (...args) => {
      reached();
      await open;
      return repos.health.readRange(...args);
    };
    const running = await startSidecar(db, {}, { repos: { ...repos, health } });
    try {
      const repair = await running.client.post('/v1/repair', {});
      expect(repair.status).to.equal(202);
      await atGate;

      const refused = await running.client.post('/v1/sync', {});

      expect(refused.status).to.equal(409);
      release();
      for (;;) {
        const r = await running.client.get(`/v1/repair/${repair.body.id}`);
        if (r.body.status !== 'running') {
          expect(r.body.status).to.equal('completed');
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      release();
      await running.stop();
    }
  });
});

describe('link health: RELINK_TRASHED=true (real database, real sidecar)', () => {
  const s = sidecarSuite({ RELINK_TRASHED: 'true' }, { crm: 'civicrm-6.14' });

  it('when a linked contact is in the trash and a live contact has the address, then the repair moves the link to it; with none, to a new contact; the trashed ones stay as they are', async () => {
    const toLive = await linkedUser(s, 'relink.live@example.org');
    const toNew = await linkedUser(s, 'relink.new@example.org');
    await s.db.pool.query('UPDATE civicrm_contact SET is_deleted = 1 WHERE id IN (?)', [[toLive.contactId, toNew.contactId]]);
    const live = await insertContact(s.db.pool, { firstName: 'Live', lastName: 'One', emails: ['relink.live@example.org'] });

    const report = await s.running.client.get('/v1/health?kind=link_contact_trashed');
    const run = await waitForRepair(s, (await s.running.client.post('/v1/repair', { kinds: ['link_contact_trashed'] })).body.id);

    expect(report.body.findings.map((f: FindingJson) => f.repair)).to.deep.equal([
      'remove the link, then reconcile the user (match or create a contact)',
      'remove the link, then reconcile the user (match or create a contact)',
    ]);
    expect(run.counts.link_contact_trashed).to.deep.equal({ found: 2, repaired: 2, left: 0 });
    expect((await linksOf(s.db.pool, toLive.id)).map((l) => l.contact_id)).to.deep.equal([live]);
    const [moved] = await linksOf(s.db.pool, toNew.id);
    expect(moved.contact_id).to.not.equal(toNew.contactId);
    expect((await contact(s.db.pool, moved.contact_id!))!.is_deleted).to.equal(0);
    expect((await contact(s.db.pool, toLive.contactId))!.is_deleted).to.equal(1);
    expect((await contact(s.db.pool, toNew.contactId))!.is_deleted).to.equal(1);
  });
});

describe('link health: addresses held under the index\'s collation (real database, real sidecar)', () => {
  const s = sidecarSuite({}, { crm: 'civicrm-6.14' });

  it('when an unlinked user\'s address differs from another user\'s link only by an accent or letter case, then the check says that user holds it and offers no repair, as the engine decides, and a repair leaves it', async () => {
    // civicrm_uf_match's unique (uf_name, domain_id) index, utf8mb4_unicode_ci, calls josé = jose:
    // the engine refuses to link jose@ while josé@ is another user's link. The check must agree.
    const holderAccent = await linkedUser(s, 'josé@example.org', 'José', 'Held');
    const holderCase = await linkedUser(s, 'ann.case@example.org', 'Ann', 'Held');
    const accent = await insertUser(s.db.pool, s.db.prefix, { email: 'jose@example.org', firstName: 'Jose', lastName: 'Plain' });
    const letterCase = await insertUser(s.db.pool, s.db.prefix, { email: 'Ann.Case@Example.org', firstName: 'Ann', lastName: 'Other' });
    const engine = await reconcileUser(engineDeps(s.db), accent, 'user_register');
    expect(engine.action).to.equal('conflict');
    const crmRows = async () => JSON.stringify([await rows(s.db.pool, 'SELECT * FROM civicrm_contact ORDER BY id'), await rows(s.db.pool, 'SELECT * FROM civicrm_email ORDER BY id'), await rows(s.db.pool, 'SELECT * FROM civicrm_uf_match ORDER BY id')]);
    const before = await crmRows();

    const findings = (await allFindings(s, '&kind=user_unlinked')).filter((f) => f.user_id === accent || f.user_id === letterCase);
    const run = await waitForRepair(s, (await s.running.client.post('/v1/repair', { kinds: ['user_unlinked'] })).body.id);

    expect(findings.map((f) => [f.user_id, f.contact_ids, f.repair])).to.deep.equal([
      [accent, [holderAccent.contactId], null],
      [letterCase, [holderCase.contactId], null],
    ]);
    expect(findings[0].explanation).to.contain(`its address is already linked to user ${holderAccent.id}`);
    expect(findings[1].explanation).to.contain(`its address is already linked to user ${holderCase.id}`);
    expect(run.counts.user_unlinked).to.deep.equal({ found: 2, repaired: 0, left: 2 });
    expect(await linkCount(s.db.pool, accent)).to.equal(0);
    expect(await linkCount(s.db.pool, letterCase)).to.equal(0);
    expect(await crmRows()).to.equal(before);
  });
});
