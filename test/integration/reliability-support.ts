/**
 * Helpers of the reliability suites (reliability-*.test.ts): a seeded scenario of users and
 * contacts that share emails, the CRM state in a form that compares across databases, the
 * invariants that must hold after any run, and a client that retries like the plugin's queue.
 */
import { expect } from 'chai';
import type { Pool } from 'mysql2/promise';
import { normaliseEmail } from '../../sidecar/src/domain/normalise-email';
import { rows, type TestDatabase } from '../support/database';
import { deleteUser, insertContact, insertUser, updateUser, type ContactSpec } from '../support/fixtures';
import type { SidecarProcess } from '../support/sidecar-process';
import type { Reply, SignedClient } from '../../tools/signed-client';

export interface ScenarioUser {
  id: number;
  email: string;
  firstName?: string;
  lastName?: string;
}

export interface Scenario {
  users: ScenarioUser[];
  contacts: ContactSpec[];
}

/**
 * `groups` groups of users, cycling through the shapes that make races interesting: one user
 * and one known contact; three users (case and space variants of one address) and two known
 * contacts; two users and no contact; a new address; a non-primary match next to a trashed
 * one; two addresses of one contact. Deterministic: the same call gives the same rows.
 */
export function buildScenario(targetUsers: number, firstUserId: number, tag: string): Scenario {
  const users: ScenarioUser[] = [];
  const contacts: ContactSpec[] = [];
  let id = firstUserId;
  const add = (email: string, names: Partial<ScenarioUser> = {}): void => {
    users.push({ id: id++, email, ...names });
  };
  for (let g = 0; users.length < targetUsers; g++) {
    const base = `${tag}.g${g}@example.org`;
    switch (g % 6) {
      case 0:
        contacts.push({ firstName: `Known${g}`, lastName: 'Person', emails: [base] });
        add(base, { firstName: `First${g}` });
        break;
      case 1:
        contacts.push({ firstName: `Shared${g}`, emails: [base] });
        contacts.push({ lastName: `Second${g}`, emails: [{ email: 'other@example.org' }, { email: base.toUpperCase(), primary: false }] });
        add(base);
        add(`  ${base.toUpperCase()} `, { lastName: `Upper${g}` });
        add(base.replace(/^./, (c) => c.toUpperCase()));
        break;
      case 2:
        add(base, { firstName: 'Twin', lastName: `A${g}` });
        add(base, { firstName: 'Twin', lastName: `B${g}` });
        break;
      case 3:
        add(base, { firstName: `New${g}`, lastName: 'Comer' });
        break;
      case 4:
        contacts.push({ firstName: `Trashed${g}`, isDeleted: true, emails: [base] });
        contacts.push({ firstName: `Secondary${g}`, emails: ['main@example.org', { email: base, primary: false }] });
        add(base);
        break;
      default: {
        const other = `${tag}.g${g}.alt@example.org`;
        contacts.push({ firstName: `TwoAddr${g}`, emails: [base, other] });
        add(base);
        add(other);
      }
    }
  }
  return { users: users.slice(0, targetUsers), contacts };
}

export async function seedScenario(db: TestDatabase, scenario: Scenario): Promise<void> {
  for (const c of scenario.contacts) await insertContact(db.pool, c);
  for (const u of scenario.users) {
    await insertUser(db.pool, db.prefix, { id: u.id, email: u.email, firstName: u.firstName, lastName: u.lastName, login: `u${u.id}` });
  }
}

interface ContactState {
  key: string;
  contact_type: string;
  first_name: string | null;
  last_name: string | null;
  display_name: string | null;
  sort_name: string | null;
  is_deleted: number;
  source: string | null;
  emails: string[];
}

/**
 * The CRM as a comparable value: contacts the bridge created are named by the user linked to
 * them ("new:<uf_id>"; an unlinked one shows as "orphan"), contacts that existed before keep
 * their id (fresh databases seeded in one order give the same ids). Bridge bookkeeping
 * (audit, user state) is left out: retries and duplicate deliveries add audit rows by design.
 */
export async function canonicalCrmState(pool: Pool): Promise<{ links: unknown[]; contacts: ContactState[] }> {
  const links = await rows<{ uf_id: number; uf_name: string | null; contact_id: number | null; domain_id: number }>(
    pool,
    'SELECT uf_id, uf_name, contact_id, domain_id FROM civicrm_uf_match ORDER BY uf_id, id',
  );
  const contacts = await rows<Record<string, unknown>>(
    pool,
    `SELECT id, contact_type, first_name, last_name, display_name, sort_name, is_deleted, source FROM civicrm_contact ORDER BY id`,
  );
  const emails = await rows<{ contact_id: number; email: string; is_primary: number; location_type_id: number }>(
    pool,
    'SELECT contact_id, email, is_primary, location_type_id FROM civicrm_email ORDER BY contact_id, is_primary DESC, email',
  );
  // A contact whose user was deleted keeps the user's id as its name.
  const unlinked = await rows<{ contact_id: number; uf_id: number }>(
    pool,
    `SELECT contact_id, MIN(uf_id) AS uf_id FROM contact_bridge_audit WHERE action = 'unlinked' AND contact_id IS NOT NULL GROUP BY contact_id`,
  );
  const unlinkedFrom = new Map(unlinked.map((u) => [Number(u.contact_id), Number(u.uf_id)]));
  const linkedTo = new Map<number, number>();
  for (const l of links) if (l.contact_id !== null) linkedTo.set(l.contact_id, l.uf_id);
  const keyOf = (id: number, source: unknown): string =>
    source === 'WordPress user' ? (linkedTo.has(id) ? `new:${linkedTo.get(id)}` : `unlinked:${unlinkedFrom.get(id) ?? `orphan#${id}`}`) : `#${id}`;
  const sourceById = new Map(contacts.map((c) => [Number(c.id), c.source]));
  return {
    links: links.map((l) => ({
      uf_id: l.uf_id,
      uf_name: l.uf_name,
      domain_id: l.domain_id,
      contact: l.contact_id === null ? null : keyOf(l.contact_id, sourceById.get(l.contact_id)),
    })),
    contacts: contacts
      .map((c) => ({
        key: keyOf(Number(c.id), c.source),
        contact_type: String(c.contact_type),
        first_name: c.first_name as string | null,
        last_name: c.last_name as string | null,
        display_name: c.display_name as string | null,
        sort_name: c.sort_name as string | null,
        is_deleted: Number(c.is_deleted),
        source: c.source as string | null,
        emails: emails
          .filter((e) => e.contact_id === Number(c.id))
          .map((e) => `${e.email}|primary=${e.is_primary}|loc=${e.location_type_id}`),
      }))
      .sort((a, b) => a.key.localeCompare(b.key)),
  };
}

export interface Invariants {
  /** Contacts the bridge created that no link points to (a deleted user's contact stays, by design: not counted). */
  orphanContacts: number;
  /** Contacts with more than one link in a domain. */
  contactsLinkedTwice: number;
  /** Users with more than one link in a domain. */
  usersLinkedTwice: number;
  /** Addresses held by more than one link in a domain. */
  ufNamesTwice: number;
  /** Bridge-created contacts sharing one primary address (a duplicate the bridge made). */
  duplicateCreatedContacts: number;
}

export async function invariants(pool: Pool): Promise<Invariants> {
  const one = async (sql: string): Promise<number> => Number((await rows<{ n: number }>(pool, sql))[0].n);
  return {
    orphanContacts: await one(
      `SELECT COUNT(*) AS n FROM civicrm_contact c WHERE c.source = 'WordPress user'
         AND NOT EXISTS (SELECT 1 FROM civicrm_uf_match m WHERE m.contact_id = c.id)
         AND NOT EXISTS (SELECT 1 FROM contact_bridge_audit a WHERE a.contact_id = c.id AND a.action = 'unlinked')`,
    ),
    contactsLinkedTwice: await one(
      'SELECT COUNT(*) AS n FROM (SELECT contact_id FROM civicrm_uf_match WHERE contact_id IS NOT NULL GROUP BY contact_id, domain_id HAVING COUNT(*) > 1) t',
    ),
    usersLinkedTwice: await one('SELECT COUNT(*) AS n FROM (SELECT uf_id FROM civicrm_uf_match GROUP BY uf_id, domain_id HAVING COUNT(*) > 1) t'),
    ufNamesTwice: await one(
      'SELECT COUNT(*) AS n FROM (SELECT uf_name FROM civicrm_uf_match WHERE uf_name IS NOT NULL GROUP BY BINARY uf_name, domain_id HAVING COUNT(*) > 1) t',
    ),
    duplicateCreatedContacts: await one(
      `SELECT COUNT(*) AS n FROM (SELECT BINARY e.email FROM civicrm_email e JOIN civicrm_contact c ON c.id = e.contact_id
         WHERE c.source = 'WordPress user' AND e.is_primary = 1 GROUP BY BINARY e.email HAVING COUNT(*) > 1) t`,
    ),
  };
}

export const CLEAN: Invariants = {
  orphanContacts: 0,
  contactsLinkedTwice: 0,
  usersLinkedTwice: 0,
  ufNamesTwice: 0,
  duplicateCreatedContacts: 0,
};

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every `everyMs` until it is true; fails after `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 20_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
}

export interface Delivery {
  reply: Reply;
  /** Every status seen, the failed attempts first. */
  statuses: number[];
}

/**
 * Delivers like the plugin's queue: a refused-for-now answer (503) or a network error is
 * retried after a pause, up to `attempts`; a 4xx is final. Network errors count as status 0.
 */
export async function deliverWithRetry(
  client: SignedClient,
  body: unknown,
  options: { attempts?: number; pauseMs?: number } = {},
): Promise<Delivery> {
  const attempts = options.attempts ?? 100;
  const statuses: number[] = [];
  for (let i = 1; ; i++) {
    let reply: Reply | undefined;
    try {
      reply = await client.post('/v1/events', body);
      statuses.push(reply.status);
    } catch {
      statuses.push(0);
    }
    if (reply && reply.status < 500) return { reply, statuses };
    if (i >= attempts) throw new Error(`not delivered after ${attempts} attempts: ${statuses.join(',')}`);
    await sleep(options.pauseMs ?? 100);
  }
}

/** One event of the plugin's queue. */
export interface HookEvent {
  event: 'user_register' | 'profile_update' | 'deleted_user' | 'wp_login';
  user_id: number;
}

/** Addresses that several users of the scenario share (normalised). */
export function sharedAddresses(scenario: Scenario): Set<string> {
  const seen = new Map<string, number>();
  for (const u of scenario.users) seen.set(normaliseEmail(u.email), (seen.get(normaliseEmail(u.email)) ?? 0) + 1);
  return new Set([...seen].filter(([, n]) => n > 1).map(([e]) => e));
}

/**
 * What happens to the users between the registrations and the second wave of events. Only
 * users whose address nobody else has change or leave: freeing a shared address would let the
 * next event of another user take it, and which event comes first would then decide the end.
 */
export async function mutateUsers(db: TestDatabase, scenario: Scenario): Promise<HookEvent[]> {
  const shared = sharedAddresses(scenario);
  const events: HookEvent[] = [];
  for (const u of scenario.users) {
    if (shared.has(normaliseEmail(u.email))) {
      events.push({ event: 'wp_login', user_id: u.id });
    } else if (u.id % 9 === 0) {
      await deleteUser(db.pool, db.prefix, u.id);
      events.push({ event: 'deleted_user', user_id: u.id });
    } else if (u.id % 7 === 0) {
      await updateUser(db.pool, db.prefix, u.id, { email: `moved.${u.id}@example.net` });
      events.push({ event: 'profile_update', user_id: u.id });
    } else if (u.id % 5 === 0) {
      await updateUser(db.pool, db.prefix, u.id, { firstName: `Renamed${u.id}`, lastName: 'Later' });
      events.push({ event: 'profile_update', user_id: u.id });
    } else {
      events.push({ event: 'wp_login', user_id: u.id });
    }
  }
  return events;
}

/** A seeded shuffle (mulberry32), so a failing order can be replayed. */
export function shuffled<T>(items: T[], seed: number): T[] {
  let a = seed >>> 0;
  const random = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export async function post200(client: SignedClient, event: HookEvent): Promise<void> {
  const reply = await client.post('/v1/events', event);
  expect(reply.status, `${JSON.stringify(event)} -> ${JSON.stringify(reply.body)}`).to.equal(200);
}

/** Runs `tasks` with at most `limit` in flight. */
export async function withLimit(limit: number, tasks: Array<() => Promise<void>>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) await tasks[next++]();
    }),
  );
}

export async function hasSyncRoutes(client: SignedClient): Promise<boolean> {
  return (await client.get('/v1/sync')).status === 200;
}

export async function runSyncToEnd(client: SignedClient): Promise<Record<string, unknown>> {
  const started = await client.post('/v1/sync', { dry_run: false });
  expect(started.status, JSON.stringify(started.body)).to.equal(202);
  let run: Record<string, unknown> = {};
  await waitUntil('the sync run ends', async () => {
    run = (await client.get(`/v1/sync/${started.body.id}`)).body;
    return run.status !== 'running';
  });
  return run;
}

export async function stopAll(processes: SidecarProcess[]): Promise<Array<number | null>> {
  for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGTERM');
  return Promise.all(processes.map(async (p) => (await p.exited).code));
}
