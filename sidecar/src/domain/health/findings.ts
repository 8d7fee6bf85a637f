/**
 * Link health: what is wrong with a domain's links, found from the facts data-access reads for a
 * range of user ids, and which repair the rules allow. Pure: no I/O. Every explanation and every
 * repair's wording is in the table below.
 *
 * The side of an email change is the engine's: WordPress changed an address when it differs from
 * the one last applied (appliedEmail); then a reconcile carries it. Otherwise the CRM changed it
 * and it is left as the CRM has it.
 */
import { appliedEmail, emailChangedInWordPress } from '../engine/snapshot';
import { chooseCandidate } from '../engine/plan';
import { hasNothingToLink, storageProblem, userFacts } from '../engine/user-facts';
import type { CandidateRow, ContactType, Link, UserState, WpUser } from '../model';
import { normaliseEmail } from '../normalise-email';

export const FINDING_KINDS = [
  'user_unlinked',
  'link_user_gone',
  'link_contact_gone',
  'link_contact_trashed',
  'uf_name_drift',
  'email_changed_in_crm',
  'duplicate_user_link',
  'contact_linked_twice',
  'ambiguous_email',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export function isFindingKind(text: string): text is FindingKind {
  return (FINDING_KINDS as readonly string[]).includes(text);
}

/** What a repair does, for the repair use case; `text` says it in words. */
export type RepairAction =
  /** Reconcile the user through the engine (links a gone user's links away too). */
  | { type: 'reconcile' }
  /** Remove the user's links whose contact is gone (or trashed), then reconcile the user. */
  | { type: 'relink'; trashed: boolean }
  /** Keep the user's oldest link, remove the others (contacts untouched). */
  | { type: 'keep_oldest_link' }
  /** WordPress takes the CRM's address: the plugin applies it (GET /v1/changes); nothing for the sidecar to write. */
  | { type: 'to_wordpress'; email: string };

export interface Finding {
  kind: FindingKind;
  userId: number | null;
  contactIds: number[];
  explanation: string;
  repair: { action: RepairAction; text: string } | null;
  /** Where the finding sorts: user id (contact id for contact_linked_twice), then kind. */
  key: number;
}

/** One link of a user as the check reads it: the link row and what it points to. */
export interface LinkFacts {
  linkId: number;
  ufName: string | null;
  contactId: number | null;
  contactExists: boolean;
  contactDeleted: boolean;
  /** The contact's primary email ('' when it has none). */
  primaryEmail: string;
  /** Every email address of the contact (read when its primary email is not the user's). */
  emails: string[];
  /** Other WordPress users whose address is this contact's primary email (read when it is not the user's). */
  primaryHeldBy: number[];
}

/** A user of the range the database did not show as plainly healthy (data-access filters the rest). */
export interface SuspectUser {
  user: WpUser;
  /** Multisite: a member of none of the domain's sites (its link, if any, is a goneLinks entry). */
  notMember?: true;
  /** The user's oldest link in the domain (the one the rules act on), if any. */
  link: LinkFacts | null;
  state: UserState | undefined;
}

/** Everything the check reads for some users (a range of ids, or a list). */
export interface RangeFacts {
  suspects: SuspectUser[];
  /** Links of the domain in the range whose user does not exist (or, multisite, is a member of none of the domain's sites: `left`). */
  goneLinks: Array<{ linkId: number; ufId: number; contactId: number | null; left?: true }>;
  /** Users of the range with more than one link in the domain, links in id order. */
  duplicateLinks: Array<{ ufId: number; links: Array<{ linkId: number; contactId: number | null }> }>;
  /** Candidate email rows for the unlinked suspects' addresses (live contacts of the type). */
  candidates: CandidateRow[];
  /** Links holding the unlinked suspects' addresses. */
  holders: Link[];
  /** An address's key as civicrm_uf_match's unique (uf_name, domain_id) index compares it (case and accents folded), for the suspects' addresses and the holders' uf_names. */
  keyOf: (text: string) => string;
}

export interface HealthRules {
  domainId: number;
  contactType: ContactType;
  relinkTrashed: boolean;
  /** 'both': an address changed in the CRM goes to WordPress (the plugin applies it). */
  emailDirection: 'wordpress' | 'both';
  /** Multisite: the sites whose members are the domain's users (null: every user). */
  memberBlogs: readonly number[] | null;
}

/** The words of every finding and repair. */
export const HEALTH_TEXT = {
  unlinked: (userId: number, email: string, domainId: number) => `user ${userId} (${email === '' ? 'no email' : email}) has no link in domain ${domainId}`,
  unlinkedHeld: (holder: number) => `its address is already linked to user ${holder}`,
  unlinkedStuck: (reason: string) => `it cannot be linked: ${reason}`,
  linkTo: (contactId: number, viaPrimary: boolean) => `link to contact ${contactId} (it has this ${viaPrimary ? 'primary ' : ''}email)`,
  createContact: 'create a contact and link it',
  ambiguous: (email: string, count: number, contactType: string, ids: readonly number[]) =>
    `${email} is held by ${count} live ${contactType} contacts (${ids.join(', ')})`,
  ambiguousPick: (contactId: number) => `link to contact ${contactId}, the one the rules pick (primary email first, then the oldest); the others stay as they are`,
  userGone: (linkId: number, ufId: number) => `link ${linkId} names user ${ufId}, who no longer exists`,
  userLeft: (linkId: number, ufId: number) => `link ${linkId} names user ${ufId}, who is a member of none of this domain's sites`,
  removeGoneLink: (contactId: number | null) => `remove the link${contactId === null ? '' : ` (contact ${contactId} kept)`}`,
  contactGone: (linkId: number, contactId: number | null) =>
    contactId === null ? `link ${linkId} has no contact` : `link ${linkId} points to contact ${contactId}, which does not exist`,
  relink: 'remove the link, then reconcile the user (match or create a contact)',
  contactTrashed: (contactId: number) => `linked contact ${contactId} is in the trash`,
  ufNameDrift: (ufName: string | null, email: string, side: 'wordpress' | 'crm') =>
    `the link's uf_name ${ufName ?? '(none)'} differs from the user's address ${email}; ` +
    (side === 'wordpress' ? 'WordPress changed it since it was last applied' : 'changed in the CRM (WordPress still has the address last applied)'),
  reconcileEmail: "reconcile: WordPress's address goes to the link and the contact",
  emailChangedInCrm: (contactId: number, primary: string, email: string, recorded: boolean) =>
    `contact ${contactId}'s primary email ${primary === '' ? '(none)' : primary} differs from the user's address ${email}; ` +
    (recorded ? 'changed in the CRM (WordPress still has the address last applied)' : 'changed outside WordPress (no value recorded yet; the link agrees with WordPress)'),
  heldInWordPress: (userIds: readonly number[]) => `; it cannot reach WordPress: user ${userIds.join(', ')} has that address there`,
  toWordPress: (email: string) => `WordPress takes the CRM's address ${email} (the plugin applies it with wp_update_user on its next poll)`,
  duplicateLinks: (userId: number, linkIds: readonly number[], domainId: number) => `user ${userId} has ${linkIds.length} links in domain ${domainId} (${linkIds.join(', ')})`,
  keepOldest: (linkId: number, contactId: number | null, removed: readonly number[]) =>
    `keep link ${linkId}${contactId === null ? '' : ` (contact ${contactId})`}, remove ${removed.join(', ')}; no contact is changed`,
  linkedTwice: (contactId: number, userIds: readonly number[], domainId: number) => `contact ${contactId} is linked to users ${userIds.join(', ')} in domain ${domainId}`,
} as const;

const order = new Map(FINDING_KINDS.map((kind, i) => [kind, i]));
export const kindIndex = (kind: FindingKind): number => order.get(kind)!;

/** Sorts findings as the report lists them: by key, then kind. */
export function byPosition(a: Finding, b: Finding): number {
  return a.key - b.key || kindIndex(a.kind) - kindIndex(b.kind);
}

function unlinkedFindings(s: SuspectUser, facts: RangeFacts, rules: HealthRules): Finding[] {
  const user = userFacts(s.user);
  if (hasNothingToLink(user)) return [];
  const base = HEALTH_TEXT.unlinked(user.id, user.email, rules.domainId);
  const problem = storageProblem(user);
  if (problem !== null) return [{ kind: 'user_unlinked', userId: user.id, contactIds: [], explanation: `${base}; ${HEALTH_TEXT.unlinkedStuck(problem)}`, repair: null, key: user.id }];
  if (user.email === '') {
    if (rules.contactType !== 'Individual') return [];
    return [{ kind: 'user_unlinked', userId: user.id, contactIds: [], explanation: base, repair: { action: { type: 'reconcile' }, text: HEALTH_TEXT.createContact }, key: user.id }];
  }
  // Held as the engine sees it (its LinkBook): under the index's collation, not byte for byte.
  const holder = facts.holders.find((l) => l.ufId !== user.id && l.ufName !== null && facts.keyOf(l.ufName) === facts.keyOf(user.email));
  if (holder) {
    return [{ kind: 'user_unlinked', userId: user.id, contactIds: holder.contactId === null ? [] : [holder.contactId], explanation: `${base}; ${HEALTH_TEXT.unlinkedHeld(holder.ufId)}`, repair: null, key: user.id }];
  }
  const rows = facts.candidates.filter((r) => normaliseEmail(r.email) === user.email);
  const linked = new Set(rows.filter((r) => r.linkedInDomain).map((r) => r.contactId));
  const pick = chooseCandidate(rows, user.email, (id) => linked.has(id));
  const out: Finding[] = [
    {
      kind: 'user_unlinked',
      userId: user.id,
      contactIds: pick ? [pick.contactId] : [],
      explanation: base,
      repair: { action: { type: 'reconcile' }, text: pick ? HEALTH_TEXT.linkTo(pick.contactId, pick.viaPrimary) : HEALTH_TEXT.createContact },
      key: user.id,
    },
  ];
  const holders = [...new Set(rows.map((r) => r.contactId))].sort((a, b) => a - b);
  if (holders.length > 1) {
    const ids = pick ? [pick.contactId, ...holders.filter((id) => id !== pick.contactId)] : holders;
    out.push({
      kind: 'ambiguous_email',
      userId: user.id,
      contactIds: ids,
      explanation: HEALTH_TEXT.ambiguous(user.email, holders.length, rules.contactType, holders),
      repair: pick ? { action: { type: 'reconcile' }, text: HEALTH_TEXT.ambiguousPick(pick.contactId) } : null,
      key: user.id,
    });
  }
  return out;
}

function linkedFindings(s: SuspectUser, link: LinkFacts, rules: HealthRules): Finding[] {
  const user = userFacts(s.user);
  const contactIds = link.contactId === null ? [] : [link.contactId];
  if (!link.contactExists) {
    return [{ kind: 'link_contact_gone', userId: user.id, contactIds, explanation: HEALTH_TEXT.contactGone(link.linkId, link.contactId), repair: { action: { type: 'relink', trashed: false }, text: HEALTH_TEXT.relink }, key: user.id }];
  }
  if (link.contactDeleted) {
    return [
      {
        kind: 'link_contact_trashed',
        userId: user.id,
        contactIds,
        explanation: HEALTH_TEXT.contactTrashed(link.contactId!),
        repair: rules.relinkTrashed ? { action: { type: 'relink', trashed: true }, text: HEALTH_TEXT.relink } : null,
        key: user.id,
      },
    ];
  }
  if (user.email === '') return [];
  const wordpressChanged = emailChangedInWordPress(user.email, appliedEmail(s.state, { ufName: link.ufName }));
  if (normaliseEmail(link.ufName) !== user.email) {
    return [
      {
        kind: 'uf_name_drift',
        userId: user.id,
        contactIds,
        explanation: HEALTH_TEXT.ufNameDrift(link.ufName, user.email, wordpressChanged ? 'wordpress' : 'crm'),
        repair: wordpressChanged ? { action: { type: 'reconcile' }, text: HEALTH_TEXT.reconcileEmail } : null,
        key: user.id,
      },
    ];
  }
  // A contact matched by a non-primary address keeps its own primary (as CiviCRM does): only a
  // contact that no longer has the user's address at all changed it.
  if (!wordpressChanged && normaliseEmail(link.primaryEmail) !== user.email && !link.emails.some((e) => normaliseEmail(e) === user.email)) {
    const recorded = Boolean(s.state?.applied);
    const held = link.primaryHeldBy.filter((id) => id !== user.id);
    // Carried to WordPress only when asked, when WordPress's address is known to be the one last
    // applied (a value is recorded), when the CRM has one, and when no other user has it there.
    const carry = rules.emailDirection === 'both' && recorded && normaliseEmail(link.primaryEmail) !== '' && held.length === 0;
    return [
      {
        kind: 'email_changed_in_crm',
        userId: user.id,
        contactIds,
        explanation: HEALTH_TEXT.emailChangedInCrm(link.contactId!, link.primaryEmail, user.email, recorded) + (held.length > 0 ? HEALTH_TEXT.heldInWordPress(held) : ''),
        repair: carry ? { action: { type: 'to_wordpress', email: link.primaryEmail.trim() }, text: HEALTH_TEXT.toWordPress(link.primaryEmail.trim()) } : null,
        key: user.id,
      },
    ];
  }
  return [];
}

/** The findings of one range of user ids, sorted. contact_linked_twice is found apart (linkedTwiceFinding). */
export function findingsOf(facts: RangeFacts, rules: HealthRules): Finding[] {
  const out: Finding[] = [];
  for (const s of facts.suspects) {
    if (s.notMember) continue;
    out.push(...(s.link === null ? unlinkedFindings(s, facts, rules) : linkedFindings(s, s.link, rules)));
  }
  for (const gone of facts.goneLinks) {
    out.push({
      kind: 'link_user_gone',
      userId: gone.ufId,
      contactIds: gone.contactId === null ? [] : [gone.contactId],
      explanation: gone.left ? HEALTH_TEXT.userLeft(gone.linkId, gone.ufId) : HEALTH_TEXT.userGone(gone.linkId, gone.ufId),
      repair: { action: { type: 'reconcile' }, text: HEALTH_TEXT.removeGoneLink(gone.contactId) },
      key: gone.ufId,
    });
  }
  for (const dup of facts.duplicateLinks) {
    const [oldest, ...rest] = dup.links;
    out.push({
      kind: 'duplicate_user_link',
      userId: dup.ufId,
      contactIds: [...new Set(dup.links.flatMap((l) => (l.contactId === null ? [] : [l.contactId])))],
      explanation: HEALTH_TEXT.duplicateLinks(dup.ufId, dup.links.map((l) => l.linkId), rules.domainId),
      repair: { action: { type: 'keep_oldest_link' }, text: HEALTH_TEXT.keepOldest(oldest.linkId, oldest.contactId, rest.map((l) => l.linkId)) },
      key: dup.ufId,
    });
  }
  return out.sort(byPosition);
}

export function linkedTwiceFinding(contactId: number, userIds: readonly number[], rules: HealthRules): Finding {
  return { kind: 'contact_linked_twice', userId: null, contactIds: [contactId], explanation: HEALTH_TEXT.linkedTwice(contactId, userIds, rules.domainId), repair: null, key: contactId };
}
