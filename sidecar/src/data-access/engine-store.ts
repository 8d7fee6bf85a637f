/**
 * How the planner is fed and how its plans are written: a fixed handful of set-based statements
 * for one user or a whole chunk, sent in as few round trips as the rules allow.
 */
import { lookupNeeds, type Snapshot, type Subject } from '../domain/engine/snapshot';
import type { Plan } from '../domain/engine/plan';
import type { AuditRow, StateRecord } from '../domain/engine/records';
import type { ContactType, Contact, ContactEmail, Link, ReadScope, TrashFacts, UserState, WpUser } from '../domain/model';
import type { EngineStore, RangeLock, UsersPage } from '../domain/ports';
import type { Query, Runner, Statement, Tx } from '../lib/transaction';
import { AuditRepository } from './audit';
import { CollationKeys } from './collation-keys';
import { CrmContactsRepository } from './crm-contacts';
import { loadConventions } from './crm-conventions';
import { LinksRepository, type KeyedLink, type UfIdSelector } from './links';
import { UserStateRepository } from './user-state';
import type { WpUsersRepository } from './wp-users';

/** Sends the queries that are there, in one round trip; each result parsed, undefined where a query was null. */
async function readSome(runner: Runner, queries: ReadonlyArray<Query<unknown> | null>): Promise<unknown[]> {
  const present = queries.filter((q): q is Query<unknown> => q !== null);
  if (present.length === 0) return queries.map(() => undefined);
  const results = await runner.run(present.map((q) => q.statement));
  let k = 0;
  return queries.map((q) => (q === null ? undefined : q.parse(results[k++])));
}

/** Marks the users who are no member of the domain's sites (members: undefined when every user is). */
function withMembership(subjects: Subject[], members: Set<number> | undefined): Subject[] {
  if (members === undefined) return subjects;
  return subjects.map((s) => (s.user !== null && !members.has(s.ufId) ? { ...s, notMember: true as const } : s));
}

/** What the first read brings: the subjects and everything read by their ids. */
interface FirstRead {
  subjects: Subject[];
  states: Map<number, UserState>;
  ownLinks: KeyedLink[];
  contacts: Map<number, Contact>;
  /** Email rows of linked contacts; `emailsComplete` when every linked contact's rows are there. */
  emails: Map<number, ContactEmail[]>;
  emailsComplete: boolean;
}

export class SqlEngineStore implements EngineStore {
  private readonly links = new LinksRepository();
  private readonly contacts = new CrmContactsRepository();
  private readonly states = new UserStateRepository();
  private readonly audit = new AuditRepository();
  private readonly keys = new CollationKeys();

  constructor(private readonly wpUsers: WpUsersRepository) {}

  async readUsers(tx: Tx, scope: ReadScope, ids: readonly number[]): Promise<Snapshot> {
    const { domainId, contactType } = scope;
    const selector: UfIdSelector = { ids };
    const [usersQuery, namesQuery] = this.wpUsers.byIds(ids);
    const [, , states, , users, ownLinks, contacts, emails, members] = (await readSome(tx, [
      ...this.setup(),
      { statement: this.states.claim(domainId, ids), parse: () => undefined },
      this.states.read(domainId, selector, false),
      usersQuery,
      namesQuery,
      this.links.ofUsers(domainId, selector),
      this.contacts.linkedTo(domainId, selector, true),
      this.contacts.emailsOfLinked(domainId, selector),
      scope.memberBlogs === null ? null : this.wpUsers.members(selector, scope.memberBlogs),
    ])) as [unknown, unknown, Map<number, UserState>, unknown, WpUser[], KeyedLink[], Map<number, Contact>, Map<number, ContactEmail[]>, Set<number> | undefined];
    const byId = new Map(users.map((u) => [u.id, u]));
    const subjects = withMembership([...new Set(ids)].sort((a, b) => a - b).map((ufId) => ({ ufId, user: byId.get(ufId) ?? null })), members);
    return this.complete(tx, domainId, contactType, { subjects, states, ownLinks, contacts, emails, emailsComplete: true }, true);
  }

  async readRange(tx: Runner, scope: ReadScope, page: UsersPage, lock: RangeLock): Promise<Snapshot> {
    const { domainId, contactType } = scope;
    const selector: UfIdSelector = { after: page.after, upTo: page.upper };
    const locking = lock !== 'none';
    const [, states, ownLinks, contacts, members] = (await readSome(tx, [
      ...this.setup(),
      this.states.read(domainId, selector, locking),
      this.links.ofUsers(domainId, selector),
      // Only what the rules compare; contacts they may re-present are read complete later.
      this.contacts.linkedTo(domainId, selector, locking, false),
      scope.memberBlogs === null ? null : this.wpUsers.members(selector, scope.memberBlogs),
    ])) as [unknown, Map<number, UserState>, KeyedLink[], Map<number, Contact>, Set<number> | undefined];
    let users = page.users;
    let links = ownLinks;
    if (locking) {
      const inPage = new Set(users.map((u) => u.id));
      // A link whose uf_id is not a user of the page: a deleted user's, or a user who registered
      // after the page was read (its hook linked it). Its state row is locked (claimed when it
      // has none), then the user is looked up by id. With 'all', every user of the page without a
      // row is claimed too, so no reconcile can create one under this chunk.
      const orphans = [...new Set(ownLinks.map((l) => l.ufId))].filter((id) => !inPage.has(id));
      const unclaimed = [...new Set(lock === 'all' ? [...orphans, ...users.map((u) => u.id)] : orphans)].filter((id) => !states.has(id));
      let claimedStates = new Map<number, UserState>();
      let claimedLinks: KeyedLink[] = [];
      if (unclaimed.length > 0) {
        [, claimedStates, claimedLinks] = (await readSome(tx, [
          { statement: this.states.claim(domainId, unclaimed), parse: () => undefined },
          this.states.read(domainId, { ids: unclaimed }, false),
          this.links.ofUsers(domainId, { ids: unclaimed }),
        ])) as [unknown, Map<number, UserState>, KeyedLink[]];
        const claimed = new Set(unclaimed);
        links = [...ownLinks.filter((l) => !claimed.has(l.ufId)), ...claimedLinks];
      }
      // A row the claim just created (version 1, no outcome) is this chunk's: its user was not
      // reconciled since the page was read. Any other row whose version moved was taken by a
      // reconcile that may have seen newer WordPress data: its user is read again.
      const ours = new Set([...claimedStates].filter(([, st]) => st.version === 1 && st.outcome === null).map(([id]) => id));
      for (const [id, st] of claimedStates) states.set(id, st);
      const changed = new Set(
        users.filter((u) => !ours.has(u.id) && (states.get(u.id)?.version ?? null) !== (page.versions.get(u.id) ?? null)).map((u) => u.id),
      );
      const recheck = [...changed, ...orphans];
      if (recheck.length > 0) {
        const [, fresh] = await tx.read(...this.wpUsers.byIds(recheck));
        // The users read again replace the page's; one that is gone now is a deleted user.
        const reread = new Map(fresh.map((u) => [u.id, u]));
        users = [...users.filter((u) => !changed.has(u.id) || reread.has(u.id)).map((u) => reread.get(u.id) ?? u), ...fresh.filter((u) => !inPage.has(u.id))];
      }
    }
    const userById = new Map(users.map((u) => [u.id, u]));
    const ufIds = new Set([...users.map((u) => u.id), ...links.map((l) => l.ufId)]);
    const subjects = withMembership([...ufIds].sort((a, b) => a - b).map((ufId) => ({ ufId, user: userById.get(ufId) ?? null })), members);
    return this.complete(tx, domainId, contactType, { subjects, states, ownLinks: links, contacts, emails: new Map(), emailsComplete: false }, locking);
  }

  /** The second read, when the rules need one: holders of addresses, candidates, email rows, collation weights. */
  private async complete(tx: Runner, domainId: number, contactType: ContactType, first: FirstRead, lock: boolean): Promise<Snapshot> {
    const needs = lookupNeeds(first.subjects, first.states, first.ownLinks);
    const contacts = new Map(first.contacts);
    // Contacts read without their presentation that the rules may re-present, and a link read by
    // one statement that points at a contact the next did not find (a CRM write in between): by id.
    const absent = first.ownLinks.map((l) => l.contactId).filter((id): id is number => id !== null && !contacts.has(id));
    const incomplete = needs.completeContactIds.filter((id) => contacts.get(id)?.complete === false);
    const missing = [...new Set([...absent, ...incomplete])];
    const emailIds = first.emailsComplete ? missing : [...new Set([...needs.emailContactIds, ...missing])];
    const weights = this.keys.weightsQuery(needs.holderEmails);
    const [holders, candidates, emails, missed, textWeights, trashFacts] = (await readSome(tx, [
      needs.holderEmails.length > 0 ? this.links.holding(domainId, needs.holderEmails) : null,
      needs.candidateEmails.length > 0 ? this.contacts.candidates(needs.candidateEmails, contactType, domainId, lock) : null,
      emailIds.length > 0 ? this.contacts.emailsOf(emailIds) : null,
      missing.length > 0 ? this.contacts.byIds(missing, lock) : null,
      weights,
      needs.goneContactIds.length > 0 ? this.contacts.trashFacts(needs.goneContactIds, domainId, needs.goneUfIds) : null,
    ])) as [
      KeyedLink[] | undefined,
      { rows: Snapshot['candidates']; contacts: Map<number, Contact> } | undefined,
      Map<number, ContactEmail[]> | undefined,
      Map<number, Contact> | undefined,
      Map<string, string> | undefined,
      Map<number, TrashFacts> | undefined,
    ];
    for (const [id, c] of missed ?? []) contacts.set(id, c);
    for (const [id, c] of candidates?.contacts ?? []) if (!contacts.get(id)?.complete) contacts.set(id, c);
    const allEmails = new Map(first.emails);
    for (const [id, list] of emails ?? []) allEmails.set(id, list);
    const links: Link[] = [...first.ownLinks, ...(holders ?? [])];
    return {
      subjects: first.subjects,
      states: first.states,
      links,
      contacts,
      emails: allEmails,
      candidates: candidates?.rows ?? [],
      trashFacts: trashFacts ?? new Map(),
      keyOf: this.keys.keysOf(textWeights, links as KeyedLink[]),
    };
  }

  /** The statement reading the collation table, in the first round trip that may need it (once per process). */
  private setup(): Array<Query<unknown> | null> {
    const [query] = this.keys.setupQueries();
    return [query ?? null];
  }

  async readPage(db: Runner, domainId: number, after: number, limit: number): Promise<UsersPage> {
    const { users, versions } = await this.wpUsers.page(db, after, limit, domainId);
    return { after, upper: users.length < limit ? null : users[users.length - 1].id, users, versions };
  }

  async insertContacts(tx: Runner, plan: Plan): Promise<number[]> {
    if (plan.newContacts.length === 0) return [];
    // Links give up their uf_names and deleted users' links go before any insert.
    await tx.run(this.releasingStatements(plan));
    return this.contacts.insertMany(tx, plan.newContacts.map((c) => c.contact));
  }

  private releasingStatements(plan: Plan): Statement[] {
    return [...this.links.deleteForUsers(plan.domainId, plan.unlinkUsers), ...this.links.setUfNames(plan.ufNameChanges)];
  }

  planStatements(plan: Plan, created: readonly number[], states: readonly StateRecord[], audit: readonly AuditRow[]): Statement[] {
    const { domainId } = plan;
    const contactOf = (ref: Plan['newLinks'][number]['contact']) => ('existing' in ref ? ref.existing : created[ref.created]);
    return [
      ...(plan.newContacts.length === 0 ? this.releasingStatements(plan) : []),
      // State rows first: a plain INSERT of a new row is where a hook that got in first is noticed.
      ...this.states.write(domainId, states),
      ...this.contacts.insertEmails(
        [
          ...plan.newContacts.flatMap((c, i) => (c.email === null ? [] : [{ contactId: created[i], email: c.email, isPrimary: true }])),
          ...plan.addPrimaryEmail.map((e) => ({ contactId: e.contactId, email: e.email, isPrimary: true })),
        ],
        plan.locationTypeId,
      ),
      ...this.links.insertMany(plan.newLinks.map((l) => ({ domainId, ufId: l.ufId, ufName: l.ufName, contactId: contactOf(l.contact) }))),
      ...this.contacts.setPrimaryEmails(plan.setPrimary),
      ...this.contacts.setEmailAddresses(plan.setAddress),
      ...this.contacts.updateColumns(plan.contactUpdates),
      ...this.contacts.trash(plan.trashContacts),
      ...this.audit.insert(domainId, audit),
    ];
  }

  recordStatements(domainId: number, states: readonly StateRecord[], audit: readonly AuditRow[]): Statement[] {
    return [...this.states.write(domainId, states), ...this.audit.insert(domainId, audit)];
  }

  userIdsAfter(db: Runner, after: number, limit: number): Promise<number[]> {
    return this.wpUsers.idsAfter(db, after, limit);
  }

  countUsers(db: Runner): Promise<number> {
    return this.wpUsers.count(db);
  }

  linksOf(db: Runner, domainId: number, ufIds: readonly number[]): Promise<Link[]> {
    return this.links.findForUsers(db, domainId, ufIds);
  }

  loadConventions(db: Runner) {
    return loadConventions(db);
  }
}
