/**
 * The set-based reads and writes around planChunk, shared by the bulk sync (a chunk of users
 * by id range) and the hook path under load (a batch of concurrent events): a fixed handful of
 * statements for any number of users.
 */
import type { Link } from '../data-access/links';
import type { Db, PoolConnection } from '../data-access/pool';
import type { WpUser } from '../data-access/wp-users';
import { lookupNeeds, type ChunkPlan, type ChunkSnapshot, type ContactRef } from './plan-chunk';
import type { ReconcileDeps } from './reconcile-user';

/** The id a plan's contact reference stands for, given the ids of the contacts the plan created. */
export function contactIdOf(ref: ContactRef, created: number[]): number;
export function contactIdOf(ref: ContactRef | null, created: number[]): number | null;
export function contactIdOf(ref: ContactRef | null, created: number[]): number | null {
  return ref === null ? null : 'existing' in ref ? ref.existing : created[ref.created];
}

/** Reads what the rules need to plan for `users` (and the links of their uf_ids) with set-based statements. */
export async function readSnapshot(deps: ReconcileDeps, db: Db, users: WpUser[], rangeLinks: Link[]): Promise<ChunkSnapshot> {
  const { repos, rules } = deps;
  const needs = lookupNeeds(users, rangeLinks);
  // Independent reads, sent together: the connection runs them one after the other, while
  // this process parses the answers of the first ones. (All on the chunk's own connection: a
  // transaction that holds the chunk's locks must never wait for a pool connection, which
  // hooks waiting for those locks may all be holding.)
  const [holderLinks, candidateRows, linkedContacts, emailsByContact] = await Promise.all([
    repos.links.findByUfNames(db, rules.domainId, needs.holderEmails),
    repos.contacts.findCandidateRows(db, needs.candidateEmails, rules.contactType, rules.domainId),
    repos.contacts.findManyById(db, needs.linkedContactIds),
    repos.contacts.listEmailsOf(db, needs.emailChangeContactIds),
  ]);
  const linked = new Set(needs.linkedContactIds);
  const texts = [...needs.holderEmails];
  for (const link of [...rangeLinks, ...holderLinks]) if (link.ufName !== null) texts.push(link.ufName);
  const [candidateContacts, keyOf] = await Promise.all([
    repos.contacts.findManyById(db, [...new Set(candidateRows.map((r) => r.contactId).filter((id) => !linked.has(id)))]),
    repos.collationKeys.keysFor(db, texts),
  ]);
  const contacts = new Map([...linkedContacts, ...candidateContacts]);
  return { users, rangeLinks, holderLinks, contacts, candidateRows, emailsByContact, keyOf };
}

/** Writes a chunk's plan; returns the ids of the contacts it created, in plan order. */
export async function writePlan(deps: ReconcileDeps, db: PoolConnection, plan: ChunkPlan, after: (created: number[]) => Array<Promise<unknown>>): Promise<number[]> {
  const { repos, rules } = deps;
  // Order matters up to the new contacts: links give up their uf_names before others take them.
  await repos.links.deleteForUsers(db, rules.domainId, plan.unlinkUsers);
  await repos.links.setUfNames(db, plan.ufNameChanges);
  const created = await repos.contacts.insertMany(db, plan.newContacts.map((c) => c.contact));
  // The rest is independent: sent together (the connection runs them in order).
  await Promise.all([
    // First the state rows (insertNew is where a hook that got in first is noticed).
    ...after(created),
    repos.contacts.insertEmails(db, [
      ...plan.newContacts.flatMap((c, i) => (c.email === null ? [] : [{ contactId: created[i], email: c.email, isPrimary: true }])),
      ...plan.addPrimaryEmail.map((e) => ({ contactId: e.contactId, email: e.email, isPrimary: true })),
    ]),
    repos.links.insertMany(
      db,
      plan.newLinks.map((l) => ({
        domainId: rules.domainId,
        ufId: l.ufId,
        ufName: l.ufName,
        contactId: contactIdOf(l.contact, created),
      })),
    ),
    repos.contacts.setPrimaryEmails(db, plan.setPrimary),
    repos.contacts.setEmailAddresses(db, plan.setAddress),
    repos.contacts.updateNamesMany(db, plan.names),
  ]);
  return created;
}
