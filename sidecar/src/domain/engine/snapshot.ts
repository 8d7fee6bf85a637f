/**
 * What the planner reads: the users to decide and everything the rules may ask about them,
 * read by data-access with set-based statements (one user or a whole chunk, the same shape).
 */
import type { Applied, CandidateRow, Contact, ContactEmail, Link, TrashFacts, UserState, WpUser } from '../model';
import { normaliseEmail } from '../normalise-email';
import { storageProblem, userFacts } from './user-facts';

/** One uf_id to decide: a user that exists, or an id whose user is gone (null). */
export interface Subject {
  ufId: number;
  user: WpUser | null;
  /** Multisite: a user of the network who is a member of none of the domain's sites (not a user of this domain). */
  notMember?: true;
}

export interface Snapshot {
  /** In id order, each uf_id once. */
  subjects: Subject[];
  /** State rows of the subjects (absent: no row yet). */
  states: ReadonlyMap<number, UserState>;
  /** Every link of the subjects in the domain, and the links holding the addresses in `needs.holderEmails`. */
  links: Link[];
  /** Linked contacts of the subjects and candidate contacts, by id. */
  contacts: ReadonlyMap<number, Contact>;
  /** Email rows (id order) of the contacts in `needs.emailContactIds`, and maybe of other linked contacts. */
  emails: ReadonlyMap<number, ContactEmail[]>;
  /** Candidate email rows for `needs.candidateEmails`. */
  candidates: CandidateRow[];
  /** For the contacts of deleted users' links (`needs.goneContactIds`): what the deletion policy reads. */
  trashFacts: ReadonlyMap<number, TrashFacts>;
  /** Collation key of every address above (see LinkBook). */
  keyOf(text: string): string;
}

/** The first (lowest id) link of each user: the one the rules act on. */
export function firstLinks(links: readonly Link[]): Map<number, Link> {
  const byUser = new Map<number, Link>();
  for (const link of links) {
    const seen = byUser.get(link.ufId);
    if (!seen || link.id < seen.id) byUser.set(link.ufId, link);
  }
  return byUser;
}

/**
 * The address WordPress had when its values were last applied: the recorded one, or — for a
 * link from before the bridge recorded values — the link's uf_name.
 */
export function appliedEmail(state: UserState | undefined, link: Pick<Link, 'ufName'>): string {
  return state?.applied ? state.applied.email : normaliseEmail(link.ufName);
}

/** Whether WordPress changed the address since it was last applied (letter case alone is no change). */
export function emailChangedInWordPress(email: string, applied: string): boolean {
  return email !== normaliseEmail(applied);
}

/** Whether WordPress changed a name since the names were last applied (or none were recorded). */
export function namesChangedInWordPress(facts: Pick<Applied, 'firstName' | 'lastName'>, applied: Applied | null): boolean {
  return applied === null || facts.firstName !== applied.firstName || facts.lastName !== applied.lastName;
}

/** What the second read must bring, decided from the subjects, their states and their own links. */
export interface LookupNeeds {
  /** Addresses checked against other users' links (unlinked users, changed emails). */
  holderEmails: string[];
  /** Addresses of unlinked users, for candidate contacts. */
  candidateEmails: string[];
  /** Linked contacts whose email rows the rules need (the user's address changed). */
  emailContactIds: number[];
  /** Linked contacts the rules may re-present (their user's address or names changed): read complete. */
  completeContactIds: number[];
  /** Contacts of deleted users' links (the deletion policy may trash them), and those users. */
  goneContactIds: number[];
  goneUfIds: number[];
}

export function lookupNeeds(subjects: readonly Subject[], states: ReadonlyMap<number, UserState>, ownLinks: readonly Link[]): LookupNeeds {
  const linkOf = firstLinks(ownLinks);
  const holder = new Set<string>();
  const candidate = new Set<string>();
  const emailContacts = new Set<number>();
  const complete = new Set<number>();
  const goneContacts = new Set<number>();
  const goneUsers = new Set<number>();
  for (const { ufId, user, notMember } of subjects) {
    if (notMember) continue;
    if (user === null) {
      for (const link of ownLinks) {
        if (link.ufId !== ufId || link.contactId === null) continue;
        goneContacts.add(link.contactId);
        goneUsers.add(ufId);
      }
      continue;
    }
    const facts = userFacts(user);
    if (storageProblem(facts) !== null) continue;
    const link = linkOf.get(ufId);
    const state = states.get(ufId);
    if (!link) {
      if (facts.email === '') continue;
      holder.add(facts.email);
      candidate.add(facts.email);
      continue;
    }
    const emailChanged = emailChangedInWordPress(facts.email, appliedEmail(state, link));
    if (emailChanged && facts.email !== '') {
      holder.add(facts.email);
      if (link.contactId !== null) emailContacts.add(link.contactId);
    }
    if (link.contactId !== null && (emailChanged || namesChangedInWordPress(facts, state?.applied ?? null))) complete.add(link.contactId);
  }
  return {
    holderEmails: [...holder],
    candidateEmails: [...candidate],
    emailContactIds: [...emailContacts],
    completeContactIds: [...complete],
    goneContactIds: [...goneContacts],
    goneUfIds: [...goneUsers],
  };
}
