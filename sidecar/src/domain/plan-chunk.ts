/**
 * The bulk sync's planner: given what the database holds for one chunk of users (read with a
 * handful of set-based queries), decide for each user, in id order, exactly what
 * reconcileUser would decide if it were called for each of them one after the other — and
 * collect the writes as sets. Pure: no I/O, so the in-chunk dependencies are plain code:
 *
 *  - two users of the chunk with the same address: the first creates or matches and takes the
 *    uf_name; the second then finds it held (conflict), as it would one event later;
 *  - a user whose candidate contact an earlier user of the chunk took walks on to the next;
 *  - a deleted user's link (an "orphan" link, in the chunk's id range) is removed at its place
 *    in the id order: it frees its contact and uf_name for the users after it, not before;
 *  - a linked user that changes its email frees the old uf_name and takes the new one.
 *
 * Every rule comes from linking-rules.ts, the same functions reconcileUser calls; the reasons
 * are the same strings, so the recorded outcomes are the same too.
 */
import type { CandidateRow, Contact, ContactEmail, ContactNames, NewContact } from '../data-access/crm-contacts';
import type { Link } from '../data-access/links';
import type { WpUser } from '../data-access/wp-users';
import {
  chooseCandidate,
  hasNothingToLink,
  mergedNames,
  newContactFor,
  NOTHING_TO_LINK,
  storageProblem,
  userFacts,
  type UserFacts,
} from './linking-rules';
import { normaliseEmail } from './normalise-email';
import type { Action, LinkingRules } from './outcome';

/** A contact the plan refers to: an existing id, or the index of a contact the plan creates. */
export type ContactRef = { existing: number } | { created: number };

export interface PlannedOutcome {
  ufId: number;
  action: Action;
  contact: ContactRef | null;
  reason: string | null;
  /** false for a deleted user's link (it counts as unlinked, not as a checked user). */
  isUser: boolean;
}

export interface PlannedContact {
  contact: NewContact;
  /** The primary email row to insert with it, or null when the user has no usable email. */
  email: string | null;
}

export interface ChunkPlan {
  outcomes: PlannedOutcome[];
  /** uf_ids whose links in the domain are removed (users that no longer exist). */
  unlinkUsers: number[];
  /** Existing links whose uf_name changes. */
  ufNameChanges: Array<{ linkId: number; ufName: string | null }>;
  newContacts: PlannedContact[];
  newLinks: Array<{ ufId: number; ufName: string | null; contact: ContactRef }>;
  /** Makes this email row the contact's only primary one. */
  setPrimary: Array<{ contactId: number; emailId: number }>;
  setAddress: Array<{ emailId: number; email: string }>;
  addPrimaryEmail: Array<{ contactId: number; email: string }>;
  names: Array<{ contactId: number; names: ContactNames }>;
}

/**
 * Changes planned by earlier chunks that the database does not show yet: a dry run writes
 * nothing, and a real run plans chunk N+1 while chunk N is still being written. Holds uf_name
 * keys taken and links whose stored uf_name no longer applies, contacts linked or freed
 * (identifiers only, no user data). A dry run carries one set from chunk to chunk (it grows
 * with the number of would-be changes); a real run carries only the chunk being written.
 */
export interface CarriedChanges {
  takenKeys: Map<string, number>;
  staleLinkIds: Set<number>;
  contactsLinked: Set<number>;
  contactsFreed: Set<number>;
}

/** Where a plan reads carried changes `from` and records its own `into` (the same object for a dry run). */
export interface Carry {
  from: CarriedChanges;
  into: CarriedChanges;
}

export function emptyCarry(): CarriedChanges {
  return { takenKeys: new Map(), staleLinkIds: new Set(), contactsLinked: new Set(), contactsFreed: new Set() };
}

export interface ChunkSnapshot {
  /** The chunk's users, in id order. */
  users: WpUser[];
  /** Every link in the domain whose uf_id is in the chunk's id range (users' own and orphans). */
  rangeLinks: Link[];
  /** Links whose uf_name the collation calls equal to an address the chunk checks. */
  holderLinks: Link[];
  /** Contacts referred to: linked contacts of the chunk's users and candidate contacts. */
  contacts: Map<number, Contact>;
  /** Candidate email rows for the addresses of the chunk's unlinked users. */
  candidateRows: CandidateRow[];
  /** Email rows (by id) of linked contacts whose user's email changed. */
  emailsByContact: Map<number, ContactEmail[]>;
  /** Collation key of every address and uf_name above. */
  keyOf(text: string): string;
}

/** What the chunk must read before it can plan: the addresses to check, per use. */
export interface LookupNeeds {
  /** Addresses checked against other users' links (unlinked users and changed emails). */
  holderEmails: string[];
  /** Addresses of unlinked users, for candidate contacts. */
  candidateEmails: string[];
  /** Linked contacts (names, trash flag). */
  linkedContactIds: number[];
  /** Linked contacts whose user's email changed (their email rows are needed). */
  emailChangeContactIds: number[];
}

function firstLinkByUser(links: Link[]): Map<number, Link> {
  const byUser = new Map<number, Link>();
  for (const link of [...links].sort((a, b) => a.id - b.id)) {
    if (!byUser.has(link.ufId)) byUser.set(link.ufId, link);
  }
  return byUser;
}

export function lookupNeeds(users: WpUser[], rangeLinks: Link[]): LookupNeeds {
  const linkOf = firstLinkByUser(rangeLinks);
  const holder = new Set<string>();
  const candidate = new Set<string>();
  const linked = new Set<number>();
  const changed = new Set<number>();
  for (const user of users) {
    const facts = userFacts(user);
    if (storageProblem(facts) !== null) continue;
    const link = linkOf.get(user.id);
    if (link) {
      if (link.contactId !== null) linked.add(link.contactId);
      if (facts.email !== '' && facts.email !== link.ufName) {
        holder.add(facts.email);
        if (link.contactId !== null) changed.add(link.contactId);
      }
    } else if (facts.email !== '') {
      holder.add(facts.email);
      candidate.add(facts.email);
    }
  }
  return {
    holderEmails: [...holder],
    candidateEmails: [...candidate],
    linkedContactIds: [...linked],
    emailChangeContactIds: [...changed],
  };
}

interface LinkState {
  /** Database id, or a number above every database id for links the plan creates. */
  order: number;
  dbId: number | null;
  ufId: number;
  ufName: string | null;
  key: string | null;
  contact: ContactRef;
}

/** The domain's links as the planner sees them while it walks the chunk. */
class LinkBook {
  private readonly byUser = new Map<number, LinkState[]>();
  private readonly byKey = new Map<string, Set<LinkState>>();
  private readonly linkedContacts = new Map<number, number>();
  private readonly trackedContacts = new Set<number>();
  private nextOrder = Number.MAX_SAFE_INTEGER / 2;

  constructor(
    links: Link[],
    private readonly keyOf: (text: string) => string,
    private readonly staticLinked: Set<number>,
    private readonly carry: CarriedChanges,
  ) {
    const seen = new Set<number>();
    for (const link of [...links].sort((a, b) => a.id - b.id)) {
      if (seen.has(link.id)) continue;
      seen.add(link.id);
      if (carry.staleLinkIds.has(link.id)) continue; // changed or removed by a chunk the database does not show yet
      if (link.contactId !== null) this.trackedContacts.add(link.contactId);
      this.add({
        order: link.id,
        dbId: link.id,
        ufId: link.ufId,
        ufName: link.ufName,
        key: link.ufName === null ? null : keyOf(link.ufName),
        contact: link.contactId === null ? { existing: -1 } : { existing: link.contactId },
      });
    }
  }

  private add(state: LinkState): void {
    const list = this.byUser.get(state.ufId) ?? [];
    list.push(state);
    this.byUser.set(state.ufId, list);
    if (state.key !== null) {
      const set = this.byKey.get(state.key) ?? new Set();
      set.add(state);
      this.byKey.set(state.key, set);
    }
    if ('existing' in state.contact && state.contact.existing >= 0) {
      this.linkedContacts.set(state.contact.existing, (this.linkedContacts.get(state.contact.existing) ?? 0) + 1);
    }
  }

  linksOf(ufId: number): LinkState[] {
    return this.byUser.get(ufId) ?? [];
  }

  /** The uf_id of the first (lowest id) other user's link holding this address's key, or null. */
  holderOtherThan(email: string, ufId: number): number | null {
    const key = this.keyOf(email);
    let best: LinkState | null = null;
    for (const state of this.byKey.get(key) ?? []) {
      if (state.ufId !== ufId && (best === null || state.order < best.order)) best = state;
    }
    if (best !== null) return best.ufId;
    const carried = this.carry.takenKeys.get(key);
    return carried !== undefined && carried !== ufId ? carried : null;
  }

  isContactLinked(contactId: number): boolean {
    if ((this.linkedContacts.get(contactId) ?? 0) > 0) return true;
    if (this.trackedContacts.has(contactId)) return false;
    if (this.carry.contactsLinked.has(contactId)) return true;
    return this.staticLinked.has(contactId) && !this.carry.contactsFreed.has(contactId);
  }

  removeUser(ufId: number): void {
    for (const state of this.linksOf(ufId)) {
      if (state.key !== null) this.byKey.get(state.key)?.delete(state);
      if ('existing' in state.contact && state.contact.existing >= 0) {
        this.linkedContacts.set(state.contact.existing, (this.linkedContacts.get(state.contact.existing) ?? 1) - 1);
      }
    }
    this.byUser.delete(ufId);
  }

  setUfName(state: LinkState, ufName: string | null): void {
    if (state.key !== null) this.byKey.get(state.key)?.delete(state);
    state.ufName = ufName;
    state.key = ufName === null ? null : this.keyOf(ufName);
    if (state.key !== null) {
      const set = this.byKey.get(state.key) ?? new Set();
      set.add(state);
      this.byKey.set(state.key, set);
    }
  }

  create(ufId: number, ufName: string | null, contact: ContactRef): void {
    this.add({ order: this.nextOrder++, dbId: null, ufId, ufName, key: ufName === null ? null : this.keyOf(ufName), contact });
  }
}

type Decision = Omit<PlannedOutcome, 'ufId' | 'isUser'>;

/**
 * Plans one chunk. Without `carry`, the database shows every earlier chunk (nothing is
 * carried). With it, the plan reads the changes of earlier chunks from `carry.from` and records
 * its own into `carry.into`.
 */
export function planChunk(snapshot: ChunkSnapshot, rules: LinkingRules, carry?: Carry): ChunkPlan {
  const from = carry?.from ?? emptyCarry();
  const into = carry?.into;
  const staticLinked = new Set(snapshot.candidateRows.filter((r) => r.linkedInDomain).map((r) => r.contactId));
  const book = new LinkBook([...snapshot.rangeLinks, ...snapshot.holderLinks], snapshot.keyOf, staticLinked, from);
  const candidatesByEmail = new Map<string, CandidateRow[]>();
  for (const row of snapshot.candidateRows) {
    const email = normaliseEmail(row.email);
    const list = candidatesByEmail.get(email) ?? [];
    list.push(row);
    candidatesByEmail.set(email, list);
  }
  const contacts = new Map(snapshot.contacts);
  const emails = new Map<number, ContactEmail[]>(
    [...snapshot.emailsByContact].map(([id, list]) => [id, list.map((e) => ({ ...e }))]),
  );
  const plan: ChunkPlan = {
    outcomes: [],
    unlinkUsers: [],
    ufNameChanges: [],
    newContacts: [],
    newLinks: [],
    setPrimary: [],
    setAddress: [],
    addPrimaryEmail: [],
    names: [],
  };
  const nameUpdates = new Map<number, ContactNames>();

  const userIds = new Set(snapshot.users.map((u) => u.id));
  const orphanIds = [...new Set(snapshot.rangeLinks.map((l) => l.ufId))].filter((id) => !userIds.has(id));
  const steps: Array<{ id: number; user: WpUser | null }> = [
    ...snapshot.users.map((user) => ({ id: user.id, user })),
    ...orphanIds.map((id) => ({ id, user: null })),
  ].sort((a, b) => a.id - b.id);

  const takeKey = (email: string | null, ufId: number): void => {
    if (into && email !== null) into.takenKeys.set(snapshot.keyOf(email), ufId);
  };
  const dropKey = (state: LinkState): void => {
    if (!into) return;
    if (state.dbId !== null) into.staleLinkIds.add(state.dbId);
    if (state.key !== null && into.takenKeys.get(state.key) === state.ufId) into.takenKeys.delete(state.key);
  };

  const updateLinked = (facts: UserFacts, link: LinkState): Decision => {
    const contactId = 'existing' in link.contact ? link.contact.existing : -1;
    const contact = contactId < 0 ? undefined : contacts.get(contactId);
    if (!contact) return { action: 'skipped', contact: null, reason: 'link has no contact' };
    const ref: ContactRef = { existing: contact.id };
    if (contact.isDeleted) return { action: 'skipped', contact: ref, reason: `linked contact ${contact.id} is in the trash` };

    const changed: string[] = [];
    if (facts.email === '') {
      if (link.ufName !== null) {
        dropKey(link);
        book.setUfName(link, null);
        plan.ufNameChanges.push({ linkId: link.dbId!, ufName: null });
        changed.push('uf_name cleared');
      }
    } else if (facts.email !== link.ufName) {
      const holder = book.holderOtherThan(facts.email, facts.id);
      if (holder !== null) {
        return { action: 'conflict', contact: ref, reason: `email ${facts.email} is already linked to user ${holder}` };
      }
      dropKey(link);
      book.setUfName(link, facts.email);
      takeKey(facts.email, facts.id);
      plan.ufNameChanges.push({ linkId: link.dbId!, ufName: facts.email });
      const list = emails.get(contact.id) ?? [];
      const same = list.find((e) => normaliseEmail(e.email) === facts.email);
      const primary = list.find((e) => e.isPrimary);
      if (same) {
        if (!same.isPrimary) {
          plan.setPrimary.push({ contactId: contact.id, emailId: same.id });
          for (const e of list) e.isPrimary = e.id === same.id;
        }
      } else if (primary) {
        plan.setAddress.push({ emailId: primary.id, email: facts.email });
        primary.email = facts.email;
      } else {
        plan.addPrimaryEmail.push({ contactId: contact.id, email: facts.email });
        list.push({ id: Number.MAX_SAFE_INTEGER, contactId: contact.id, email: facts.email, isPrimary: true });
        emails.set(contact.id, list);
      }
      changed.push('email');
    }

    if (rules.syncNames) {
      const names = mergedNames(contact, facts);
      if (names) {
        nameUpdates.set(contact.id, names);
        contacts.set(contact.id, { ...contact, ...names });
        changed.push('names');
      }
    }
    return changed.length > 0
      ? { action: 'updated', contact: ref, reason: `${changed.join(', ')} changed` }
      : { action: 'unchanged', contact: ref, reason: null };
  };

  const linkUnlinked = (facts: UserFacts): Decision => {
    if (facts.email !== '') {
      const holder = book.holderOtherThan(facts.email, facts.id);
      if (holder !== null) {
        return { action: 'conflict', contact: null, reason: `email ${facts.email} is already linked to user ${holder}` };
      }
      const rows = (candidatesByEmail.get(facts.email) ?? []).map((row) => ({
        ...row,
        linkedInDomain: book.isContactLinked(row.contactId),
      }));
      const candidate = chooseCandidate(rows, facts.email);
      if (candidate) {
        const ref: ContactRef = { existing: candidate.contactId };
        book.create(facts.id, facts.email, ref);
        takeKey(facts.email, facts.id);
        if (into) {
          into.contactsLinked.add(candidate.contactId);
          into.contactsFreed.delete(candidate.contactId);
        }
        plan.newLinks.push({ ufId: facts.id, ufName: facts.email, contact: ref });
        if (rules.syncNames) {
          const contact = contacts.get(candidate.contactId);
          const names = contact ? mergedNames(contact, facts) : null;
          if (contact && names) {
            nameUpdates.set(contact.id, names);
            contacts.set(contact.id, { ...contact, ...names });
          }
        }
        return {
          action: 'matched',
          contact: ref,
          reason: candidate.viaPrimary ? 'contact has this primary email' : 'contact has this email (not primary)',
        };
      }
    }
    const ref: ContactRef = { created: plan.newContacts.length };
    plan.newContacts.push({ contact: newContactFor(facts, rules.contactType), email: facts.email === '' ? null : facts.email });
    const ufName = facts.email === '' ? null : facts.email;
    book.create(facts.id, ufName, ref);
    takeKey(ufName, facts.id);
    plan.newLinks.push({ ufId: facts.id, ufName, contact: ref });
    return {
      action: 'created',
      contact: ref,
      reason: facts.email === '' ? 'user has no email; contact created from names' : 'no contact has this email',
    };
  };

  for (const step of steps) {
    const links = book.linksOf(step.id);
    let decision: Decision;
    if (step.user === null) {
      if (links.length === 0) continue; // its links were stale (dry run) — nothing to do
      const first = links[0].contact;
      plan.unlinkUsers.push(step.id);
      for (const state of links) {
        dropKey(state);
        if (into && 'existing' in state.contact && state.contact.existing >= 0) {
          into.contactsFreed.add(state.contact.existing);
          into.contactsLinked.delete(state.contact.existing);
        }
      }
      book.removeUser(step.id);
      decision = {
        action: 'unlinked',
        contact: 'existing' in first && first.existing < 0 ? null : first,
        reason: 'user no longer exists; contact kept',
      };
    } else {
      const facts = userFacts(step.user);
      const problem = storageProblem(facts);
      if (problem !== null) {
        const c = links[0]?.contact;
        decision = { action: 'skipped', contact: c && !('existing' in c && c.existing < 0) ? c : null, reason: problem };
      } else if (links.length > 0) {
        decision = updateLinked(facts, links[0]);
      } else if (hasNothingToLink(facts)) {
        decision = { action: 'skipped', contact: null, reason: NOTHING_TO_LINK };
      } else {
        decision = linkUnlinked(facts);
      }
    }
    plan.outcomes.push({ ufId: step.id, isUser: step.user !== null, ...decision });
  }

  plan.names = [...nameUpdates].map(([contactId, names]) => ({ contactId, names }));
  return plan;
}
