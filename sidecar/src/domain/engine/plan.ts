/**
 * THE planner: the only place that decides what reconciling users means. Given a snapshot of
 * what the database holds for some users (one hook event, a batch of events, a bulk chunk), it
 * decides for each, in id order, exactly what reconciling them one after the other would do,
 * and collects the writes as sets. Pure: no I/O.
 *
 * In-plan dependencies are plain code: two users with the same address (the first takes it,
 * the second finds it held), a candidate an earlier user took (the next user walks on), a
 * deleted user's link freeing its contact and uf_name for the users after it, a contact two
 * users touch (the second sees the first's change).
 *
 * "What changed wins": a WordPress value reaches the contact only when it differs from the one
 * recorded as last applied (the user's state row); a CRM edit of a value WordPress did not
 * change is kept; when both changed, WordPress wins and the reason says so.
 */
import {
  GREETINGS,
  type Action,
  type Applied,
  type CandidateRow,
  type Contact,
  type ContactEmail,
  type CrmConventions,
  type LinkingRules,
  type UserState,
} from '../model';
import { normaliseEmail } from '../normalise-email';
import { REASONS } from '../reasons';
import { CONTACT_SOURCE, DISPLAY_COLUMNS, newContactFor, presentationOf, type NewContact, type Presentation } from './contact-format';
import { existingId, LinkBook, type Carry, type ContactRef, type LinkState } from './link-book';
import { appliedEmail, emailChangedInWordPress, type Snapshot } from './snapshot';
import { hasNothingToLink, storageProblem, userFacts, type UserFacts } from './user-facts';

export interface PlanContext {
  rules: LinkingRules;
  conventions: CrmConventions;
}

export interface PlannedOutcome {
  ufId: number;
  /** false for a uf_id whose user does not exist. */
  isUser: boolean;
  action: Action;
  contact: ContactRef | null;
  reason: string | null;
  /** The values to record as last applied: new values, null to clear, 'keep' to leave them. */
  applied: Applied | null | 'keep';
  /** Whether the plan writes CRM rows for this user. */
  touched: boolean;
}

/** The columns of a contact the bridge may change. */
export interface ContactColumns extends Presentation {
  firstName: string | null;
  lastName: string | null;
  organizationName: string | null;
  householdName: string | null;
}

export interface Plan {
  /** The CRM domain the plan is for. */
  domainId: number;
  outcomes: PlannedOutcome[];
  /** uf_ids whose links in the domain are removed (users that no longer exist). */
  unlinkUsers: number[];
  /** Existing links whose uf_name changes. */
  ufNameChanges: Array<{ linkId: number; ufName: string | null }>;
  newContacts: Array<{ contact: NewContact; email: string | null }>;
  newLinks: Array<{ ufId: number; ufName: string | null; contact: ContactRef }>;
  /** Makes this email row the contact's only primary one. */
  setPrimary: Array<{ contactId: number; emailId: number }>;
  setAddress: Array<{ emailId: number; email: string }>;
  addPrimaryEmail: Array<{ contactId: number; email: string }>;
  contactUpdates: Array<{ contactId: number; columns: ContactColumns }>;
  /** Contacts of deleted users moved to the trash (ON_USER_DELETE=trash). */
  trashContacts: number[];
  /** The location type of every email row the plan inserts. */
  locationTypeId: number;
}

export function contactIdOf(ref: ContactRef | null, created: readonly number[]): number | null {
  return ref === null ? null : 'existing' in ref ? ref.existing : created[ref.created];
}

export interface Chosen {
  contactId: number;
  viaPrimary: boolean;
}

/**
 * Among email rows the collation matched, keep the exact same address; per contact, primary if
 * any matching row is; order primary first, then lowest contact id; the first contact not
 * linked in the domain wins (CiviCRM stops at the first; we walk on).
 */
export function chooseCandidate(rows: readonly CandidateRow[], email: string, isLinked: (contactId: number) => boolean): Chosen | null {
  const byContact = new Map<number, boolean>();
  for (const row of rows) {
    if (normaliseEmail(row.email) !== email) continue;
    byContact.set(row.contactId, (byContact.get(row.contactId) ?? false) || row.isPrimary);
  }
  const ordered = [...byContact.entries()].sort(([idA, a], [idB, b]) => Number(b) - Number(a) || idA - idB);
  const free = ordered.find(([id]) => !isLinked(id));
  return free ? { contactId: free[0], viaPrimary: free[1] } : null;
}

function columnsOf(contact: Contact): ContactColumns {
  return {
    firstName: contact.firstName,
    lastName: contact.lastName,
    organizationName: contact.organizationName,
    householdName: contact.householdName,
    displayName: contact.displayName,
    sortName: contact.sortName,
    emailGreetingDisplay: contact.greetings.email_greeting.display,
    postalGreetingDisplay: contact.greetings.postal_greeting.display,
    addresseeDisplay: contact.greetings.addressee.display,
  };
}

function sameColumns(a: ContactColumns, b: ContactColumns): boolean {
  return (Object.keys(a) as Array<keyof ContactColumns>).every((k) => a[k] === b[k]);
}

type Decision = Omit<PlannedOutcome, 'ufId' | 'isUser'>;

export function plan(snapshot: Snapshot, { rules, conventions }: PlanContext, carry: Carry | null = null): Plan {
  const staticLinked = new Set(snapshot.candidates.filter((r) => r.linkedInDomain).map((r) => r.contactId));
  const book = new LinkBook(snapshot.links, snapshot.keyOf, staticLinked, carry);
  const candidatesByEmail = new Map<string, CandidateRow[]>();
  for (const row of snapshot.candidates) {
    const email = normaliseEmail(row.email);
    const list = candidatesByEmail.get(email) ?? [];
    list.push(row);
    candidatesByEmail.set(email, list);
  }
  // Working copies: a contact or email list changed by one user is seen so by the next.
  const contacts = new Map(snapshot.contacts);
  const emails = new Map<number, ContactEmail[]>([...snapshot.emails].map(([id, list]) => [id, list.map((e) => ({ ...e }))]));
  const updates = new Map<number, ContactColumns>();
  const out: Plan = {
    domainId: rules.domainId,
    outcomes: [],
    unlinkUsers: [],
    ufNameChanges: [],
    newContacts: [],
    newLinks: [],
    setPrimary: [],
    setAddress: [],
    addPrimaryEmail: [],
    contactUpdates: [],
    trashContacts: [],
    locationTypeId: conventions.locationTypeId,
  };

  /**
   * The deletion policy: a deleted user's contact goes to the trash only when asked
   * (onUserDelete), when nothing else links it (any domain; in this plan, decided once every
   * user is planned: a later user may take it), and when the bridge created it (unless trashMatched).
   */
  const trashable = (ref: ContactRef | null): number | null => {
    const id = ref === null ? null : existingId(ref);
    if (rules.onUserDelete !== 'trash' || id === null) return null;
    const facts = snapshot.trashFacts.get(id);
    if (!facts || facts.otherLinks > 0 || contacts.get(id)?.isDeleted !== false) return null;
    return rules.trashMatched || facts.source === CONTACT_SOURCE ? id : null;
  };
  const maybeTrashed: Array<{ outcome: number; contactId: number }> = [];

  /** The values recorded after applying this user (names only where they are applied). */
  const appliedNow = (facts: UserFacts, namesApply: boolean, before: Applied | null): Applied => {
    const firstName = namesApply ? facts.firstName : (before?.firstName ?? '');
    const lastName = namesApply ? facts.lastName : (before?.lastName ?? '');
    if (before !== null && before.email === facts.email && before.firstName === firstName && before.lastName === lastName) return before;
    return { email: facts.email, firstName, lastName };
  };

  /**
   * Applies WordPress names (those that changed since `recorded`, or all when nothing is
   * recorded) to the contact and re-presents it when its names or primary email changed.
   * Returns whether names changed and the CRM edits WordPress's values replaced.
   */
  const present = (
    contact: Contact,
    facts: UserFacts,
    recorded: Applied | null,
    namesApply: boolean,
    primary: { before: string; after: string } | null,
  ): { namesChanged: boolean; overridden: string[] } => {
    const overridden: string[] = [];
    let next: Contact | null = null;
    const apply = (field: 'firstName' | 'lastName', column: string, wp: string, rec: string | undefined) => {
      const current = contact[field] ?? '';
      // An empty WordPress name never blanks the contact's; an unchanged one is not applied.
      if ((rec !== undefined && wp === rec) || wp === '' || wp === current) return;
      if (rec !== undefined && current !== rec) overridden.push(column);
      next ??= { ...contact };
      next[field] = wp;
    };
    if (namesApply) {
      apply('firstName', 'first_name', facts.firstName, recorded?.firstName);
      apply('lastName', 'last_name', facts.lastName, recorded?.lastName);
    }
    const namesChanged = next !== null;
    // A contact shown by its address follows it: an Individual without names, an Organization
    // or Household named by its user's address. Others keep their presentation.
    let follows = false;
    if (primary !== null && primary.before !== primary.after) {
      const was = normaliseEmail(primary.before);
      if (contact.contactType === 'Organization' && normaliseEmail(contact.organizationName) === was) {
        next = { ...(next ?? contact), organizationName: primary.after };
        follows = true;
      } else if (contact.contactType === 'Household' && normaliseEmail(contact.householdName) === was) {
        next = { ...(next ?? contact), householdName: primary.after };
        follows = true;
      } else if (contact.contactType === 'Individual') {
        const shownBy = next ?? contact;
        follows = (shownBy.firstName ?? '') === '' && (shownBy.lastName ?? '') === '';
        next ??= { ...contact };
      }
    }
    if (next === null || (!namesChanged && !follows)) return { namesChanged, overridden };
    if (!contact.complete) throw new Error(`planner: contact ${contact.id} was read without what CiviCRM derives from its names`);
    const before = updates.get(contact.id) ?? columnsOf(contact);
    const shown = presentationOf(next, primary?.after ?? '', conventions, before);
    const columns: ContactColumns = {
      firstName: next.firstName,
      lastName: next.lastName,
      organizationName: next.organizationName,
      householdName: next.householdName,
      ...shown,
    };
    if (sameColumns(columns, before)) return { namesChanged, overridden };
    updates.set(contact.id, columns);
    const greetings = { ...next.greetings };
    for (const kind of GREETINGS) greetings[kind] = { ...greetings[kind], display: shown[DISPLAY_COLUMNS[kind]] };
    contacts.set(contact.id, { ...next, displayName: shown.displayName, sortName: shown.sortName, greetings });
    return { namesChanged, overridden };
  };

  const updateLinked = (facts: UserFacts, link: LinkState, state: UserState | undefined): Decision => {
    const contactId = existingId(link.contact);
    const contact = contactId === null ? undefined : contacts.get(contactId);
    if (!contact) return { action: 'skipped', contact: null, reason: REASONS.linkWithoutContact, applied: 'keep', touched: false };
    const ref: ContactRef = { existing: contact.id };
    if (contact.isDeleted) return { action: 'skipped', contact: ref, reason: REASONS.contactTrashed(contact.id), applied: 'keep', touched: false };

    const recorded = state?.applied ?? null;
    const parts: string[] = [];
    const overridden: string[] = [];
    let primary: { before: string; after: string } | null = null;
    if (emailChangedInWordPress(facts.email, appliedEmail(state, link))) {
      if (facts.email === '') {
        // An empty WordPress email never removes an email from the contact.
        if (link.ufName !== null) {
          book.setUfName(link, null);
          out.ufNameChanges.push({ linkId: link.dbId!, ufName: null });
          parts.push('uf_name cleared');
        }
      } else {
        const holder = book.holderOtherThan(facts.email, facts.id);
        if (holder !== null) {
          return { action: 'conflict', contact: ref, reason: REASONS.emailHeld(facts.email, holder), applied: 'keep', touched: false };
        }
        let wrote = false;
        if (normaliseEmail(link.ufName) !== facts.email) {
          book.setUfName(link, facts.email);
          out.ufNameChanges.push({ linkId: link.dbId!, ufName: facts.email });
          wrote = true;
        }
        const list = emails.get(contact.id) ?? [];
        const same = list.find((e) => normaliseEmail(e.email) === facts.email);
        const current = list.find((e) => e.isPrimary);
        const before = current?.email ?? '';
        if (same) {
          if (!same.isPrimary) {
            out.setPrimary.push({ contactId: contact.id, emailId: same.id });
            for (const e of list) e.isPrimary = e.id === same.id;
            wrote = true;
          }
          primary = { before, after: same.email };
        } else if (current) {
          out.setAddress.push({ emailId: current.id, email: facts.email });
          current.email = facts.email;
          primary = { before, after: facts.email };
          wrote = true;
        } else {
          out.addPrimaryEmail.push({ contactId: contact.id, email: facts.email });
          list.push({ id: Number.MAX_SAFE_INTEGER, contactId: contact.id, email: facts.email, isPrimary: true });
          emails.set(contact.id, list);
          primary = { before, after: facts.email };
          wrote = true;
        }
        if (wrote) {
          parts.push('email');
          if (recorded !== null && current !== undefined && normaliseEmail(before) !== recorded.email && normaliseEmail(before) !== facts.email) {
            overridden.push('email');
          }
        }
      }
    }

    const namesApply = rules.syncNames && contact.contactType === 'Individual';
    const shown = present(contact, facts, recorded, namesApply, primary);
    if (shown.namesChanged) parts.push('names');
    overridden.push(...shown.overridden);
    const applied = appliedNow(facts, namesApply, recorded);
    return parts.length > 0
      ? { action: 'updated', contact: ref, reason: REASONS.changed(parts, overridden), applied, touched: true }
      : { action: 'unchanged', contact: ref, reason: null, applied, touched: false };
  };

  const linkUnlinked = (facts: UserFacts): Decision => {
    if (facts.email !== '') {
      const holder = book.holderOtherThan(facts.email, facts.id);
      if (holder !== null) return { action: 'conflict', contact: null, reason: REASONS.emailHeld(facts.email, holder), applied: 'keep', touched: false };
      const candidate = chooseCandidate(candidatesByEmail.get(facts.email) ?? [], facts.email, (id) => book.isContactLinked(id));
      if (candidate) {
        const ref: ContactRef = { existing: candidate.contactId };
        book.create(facts.id, facts.email, ref);
        out.newLinks.push({ ufId: facts.id, ufName: facts.email, contact: ref });
        const contact = contacts.get(candidate.contactId);
        // Right after a match nothing is recorded: non-empty WordPress names replace the contact's.
        const namesApply = rules.syncNames && contact?.contactType === 'Individual';
        if (contact) present(contact, facts, null, namesApply, null);
        return {
          action: 'matched',
          contact: ref,
          reason: candidate.viaPrimary ? REASONS.matchedPrimary : REASONS.matchedOther,
          applied: appliedNow(facts, namesApply, null),
          touched: true,
        };
      }
    }
    if (facts.email === '' && rules.contactType !== 'Individual') {
      return { action: 'skipped', contact: null, reason: REASONS.noEmailForNamedType(rules.contactType), applied: 'keep', touched: false };
    }
    const ref: ContactRef = { created: out.newContacts.length };
    const ufName = facts.email === '' ? null : facts.email;
    out.newContacts.push({ contact: newContactFor(facts, rules.contactType, conventions), email: ufName });
    book.create(facts.id, ufName, ref);
    out.newLinks.push({ ufId: facts.id, ufName, contact: ref });
    return {
      action: 'created',
      contact: ref,
      reason: facts.email === '' ? REASONS.createdFromNames : REASONS.createdFromEmail,
      applied: appliedNow(facts, rules.syncNames && rules.contactType === 'Individual', null),
      touched: true,
    };
  };

  for (const { ufId, user, notMember } of snapshot.subjects) {
    const links = book.linksOf(ufId);
    const firstContact = links[0]?.contact ?? null;
    let decision: Decision;
    if (user === null || notMember) {
      // Not a user of this domain: gone from WordPress, or (multisite) a member of none of its sites.
      if (links.length === 0) {
        decision = { action: 'unchanged', contact: null, reason: user === null ? REASONS.noUserNoLink : REASONS.notMember, applied: 'keep', touched: false };
      } else {
        out.unlinkUsers.push(ufId);
        book.removeUser(ufId);
        // The deletion policy is for deleted users only: one who left a site keeps its contact.
        const trashed = user === null ? trashable(firstContact) : null;
        if (trashed !== null) maybeTrashed.push({ outcome: out.outcomes.length, contactId: trashed });
        decision = { action: 'unlinked', contact: firstContact, reason: user === null ? REASONS.userGone : REASONS.leftTheSites, applied: null, touched: true };
      }
    } else {
      const facts = userFacts(user);
      const problem = storageProblem(facts);
      if (problem !== null) decision = { action: 'skipped', contact: firstContact, reason: problem, applied: 'keep', touched: false };
      else if (links.length > 0) decision = updateLinked(facts, links[0], snapshot.states.get(ufId));
      else if (hasNothingToLink(facts)) decision = { action: 'skipped', contact: null, reason: REASONS.nothingToLink, applied: 'keep', touched: false };
      else decision = linkUnlinked(facts);
    }
    out.outcomes.push({ ufId, isUser: user !== null && !notMember, ...decision });
  }

  for (const { outcome, contactId } of maybeTrashed) {
    if (book.isContactLinked(contactId) || out.trashContacts.includes(contactId)) continue;
    out.trashContacts.push(contactId);
    out.outcomes[outcome].reason = REASONS.userGoneTrashed(contactId);
  }
  out.contactUpdates = [...updates].map(([contactId, columns]) => ({ contactId, columns }));
  return out;
}
