/**
 * reconcileUser(userId): make the CRM agree with the WordPress user as it is in the database
 * now. Every event means this; so an event delivered twice, late or out of order does no harm.
 * Contact, email, link, state and audit are written in one transaction, retried on deadlock
 * or duplicate key (the unique keys of civicrm_uf_match decide races). Its statements travel
 * in two round trips when the user is linked and its address is unchanged (a login, most
 * profile edits): the claim with the user, its links and the linked contact; the writes with
 * COMMIT. When the address matters (a new user, a changed address) the holders of the address
 * and the candidate contacts are read in between (three), and creating a contact adds one (four).
 */
import type { CandidateRow, Contact, ContactEmail } from '../data-access/crm-contacts';
import type { Link } from '../data-access/links';
import type { Pool } from '../data-access/pool';
import type { WpUser } from '../data-access/wp-users';
import type { Repositories } from '../data-access/repositories';
import type { Logger } from '../lib/logger';
import { withBatchedTransaction, type TransactionBatch } from '../lib/transaction';
import {
  chooseCandidate,
  hasNothingToLink,
  keepsRecordedState,
  mergedNames,
  newContactFor,
  NO_USER_NO_LINK,
  NOTHING_TO_LINK,
  storageProblem,
  userFacts,
  type UserFacts,
} from './linking-rules';
import { normaliseEmail } from './normalise-email';
import type { EventSource, LinkingRules, Outcome } from './outcome';

export interface ReconcileDeps {
  pool: Pool;
  repos: Repositories;
  rules: LinkingRules;
  logger: Logger;
}

type Decision = Omit<Outcome, 'userId'>;

export async function reconcileUser(deps: ReconcileDeps, userId: number, source: EventSource): Promise<Outcome> {
  const { repos, rules } = deps;
  const decision = await withBatchedTransaction(
    deps.pool,
    async (tx) => {
      // The user's state row first (events for one user take turns), then the user, its links
      // and the linked contact with its emails: all read by the user's id.
      const [, stateRows, userRows, ...byUserId] = await tx.run([
        repos.userState.claimStatement(rules.domainId, userId),
        repos.userState.findStatement(rules.domainId, userId),
        repos.wpUsers.findByIdStatement(userId),
        repos.links.forUserAndUfNameStatement(rules.domainId, userId, null),
        repos.contacts.linkedContactStatement(rules.domainId, userId),
        repos.contacts.linkedContactEmailsStatement(rules.domainId, userId),
      ]);
      const result = await decide(tx, deps, userId, repos.wpUsers.userFromRows(userRows, userId), byUserId);
      const record = { domainId: rules.domainId, ufId: userId, ...result };
      // The audit row records every outcome. The state row is rewritten unless it stays right:
      // a user still linked to the contact its row names, and nothing changed now.
      if (!keepsRecordedState(repos.userState.recordedFromRows(stateRows), result)) tx.atCommit(repos.userState.recordStatement(record));
      tx.atCommit(repos.audit.insertStatement([{ ...record, source }]));
      return result;
    },
    { retryOnDuplicate: true, logger: deps.logger },
  );
  const outcome = { userId, ...decision };
  deps.logger.info({ userId, source, ...decision }, 'user reconciled');
  return outcome;
}

/** What the rules may need about this user (see readForUser). */
interface UserReads {
  links: Link[];
  holders: Link[];
  /** The contact of the first link, if any. */
  linkedContact: Contact | null;
  /** That contact's email rows (when the user has an email: it may have changed). */
  linkedEmails: ContactEmail[];
  /** Candidate email rows for the user's address, and their contacts (when the address matters). */
  candidates: CandidateRow[];
  candidateContacts: Map<number, Contact>;
}

/**
 * Everything a decision may need. What depends only on the user's id (its links, the linked
 * contact and its emails) came with the claim (`byUserId`). The address matters only when the
 * user has one and it is not its link's uf_name already: then the links holding that address
 * and the candidate contacts are read in one more round trip (with the user's links again, so
 * that links and holders are read by one statement). A read the decision turns out not to need
 * costs an index lookup; a round trip more costs more.
 */
async function readForUser(
  tx: TransactionBatch,
  { repos, rules }: ReconcileDeps,
  userId: number,
  facts: UserFacts | null,
  [ownRows, contactRows, emailRows]: unknown[],
): Promise<UserReads> {
  const email = facts && facts.email !== '' ? facts.email : null;
  let { own, holders } = repos.links.ownAndHoldersFromRows(ownRows, userId);
  let candidates: { rows: CandidateRow[]; contacts: Map<number, Contact> } = { rows: [], contacts: new Map() };
  if (email !== null && own[0]?.ufName !== email) {
    const [linkRows, candidateRows] = await tx.run([
      repos.links.forUserAndUfNameStatement(rules.domainId, userId, email),
      repos.contacts.candidatesStatement(email, rules.contactType, rules.domainId),
    ]);
    ({ own, holders } = repos.links.ownAndHoldersFromRows(linkRows, userId));
    candidates = repos.contacts.candidatesFromRows(candidateRows);
  }
  let linkedContact = facts === null ? null : repos.contacts.contactFromRows(contactRows);
  let linkedEmails = email === null ? [] : repos.contacts.emailsFromRows(emailRows);
  const first = own[0]?.contactId ?? null;
  if (first === null) {
    linkedContact = null;
    linkedEmails = [];
  } else if (linkedContact?.id !== first && facts !== null) {
    // The contact read found a different first link than the link read (a link changed
    // between the two statements): read that contact by id.
    linkedContact = await repos.contacts.findById(tx.connection, first);
    linkedEmails = email === null ? [] : await repos.contacts.listEmails(tx.connection, first);
  }
  return { links: own, holders, linkedContact, linkedEmails, candidates: candidates.rows, candidateContacts: candidates.contacts };
}

async function decide(tx: TransactionBatch, deps: ReconcileDeps, userId: number, user: WpUser | null, byUserId: unknown[]): Promise<Decision> {
  const { repos, rules } = deps;
  const facts = user === null ? null : userFacts(user);
  const reads = await readForUser(tx, deps, userId, facts, byUserId);
  const { links } = reads;

  if (user === null || facts === null) {
    if (links.length === 0) return { action: 'unchanged', contactId: null, reason: NO_USER_NO_LINK };
    tx.atCommit(repos.links.deleteByUserStatement(rules.domainId, userId));
    return { action: 'unlinked', contactId: links[0].contactId, reason: 'user no longer exists; contact kept' };
  }

  const problem = storageProblem(facts);
  if (problem !== null) return { action: 'skipped', contactId: links[0]?.contactId ?? null, reason: problem };
  if (links.length > 0) return updateLinked(tx, deps, facts, links[0], reads);
  if (hasNothingToLink(facts)) return { action: 'skipped', contactId: null, reason: NOTHING_TO_LINK };
  return linkUnlinked(tx, deps, facts, reads);
}

function updateLinked(
  tx: TransactionBatch,
  { repos, rules }: ReconcileDeps,
  facts: UserFacts,
  link: { id: number; ufName: string | null; contactId: number | null },
  { holders, linkedContact: contact, linkedEmails: emails }: UserReads,
): Decision {
  if (contact === null) return { action: 'skipped', contactId: null, reason: 'link has no contact' };
  if (contact.isDeleted) {
    return { action: 'skipped', contactId: contact.id, reason: `linked contact ${contact.id} is in the trash` };
  }

  const changed: string[] = [];
  if (facts.email === '') {
    // An empty WordPress email never removes an email from the contact.
    if (link.ufName !== null) {
      tx.atCommit(repos.links.setUfNameStatement(link.id, null));
      changed.push('uf_name cleared');
    }
  } else if (facts.email !== link.ufName) {
    if (holders.length > 0) {
      return {
        action: 'conflict',
        contactId: contact.id,
        reason: `email ${facts.email} is already linked to user ${holders[0].ufId}`,
      };
    }
    tx.atCommit(repos.links.setUfNameStatement(link.id, facts.email));
    const same = emails.find((e) => normaliseEmail(e.email) === facts.email);
    const primary = emails.find((e) => e.isPrimary);
    if (same) {
      if (!same.isPrimary) tx.atCommit(repos.contacts.setPrimaryEmailStatement(contact.id, same.id));
    } else if (primary) {
      tx.atCommit(repos.contacts.setEmailAddressStatement(primary.id, facts.email));
    } else {
      tx.atCommit(repos.contacts.insertEmailStatement(contact.id, facts.email, true));
    }
    changed.push('email');
  }

  if (rules.syncNames) {
    const names = mergedNames(contact, facts);
    if (names) {
      tx.atCommit(repos.contacts.updateNamesStatement(contact.id, names));
      changed.push('names');
    }
  }
  return changed.length > 0
    ? { action: 'updated', contactId: contact.id, reason: `${changed.join(', ')} changed` }
    : { action: 'unchanged', contactId: contact.id, reason: null };
}

async function linkUnlinked(
  tx: TransactionBatch,
  { repos, rules }: ReconcileDeps,
  facts: UserFacts,
  { holders, candidates, candidateContacts }: UserReads,
): Promise<Decision> {
  const db = tx.connection;
  if (facts.email !== '') {
    if (holders.length > 0) {
      return { action: 'conflict', contactId: null, reason: `email ${facts.email} is already linked to user ${holders[0].ufId}` };
    }
    const candidate = chooseCandidate(candidates, facts.email);
    if (candidate) {
      tx.atCommit(
        repos.links.insertStatement({ domainId: rules.domainId, ufId: facts.id, ufName: facts.email, contactId: candidate.contactId }),
      );
      if (rules.syncNames) {
        const contact = candidateContacts.get(candidate.contactId);
        const names = contact ? mergedNames(contact, facts) : null;
        if (names) tx.atCommit(repos.contacts.updateNamesStatement(candidate.contactId, names));
      }
      return {
        action: 'matched',
        contactId: candidate.contactId,
        reason: candidate.viaPrimary ? 'contact has this primary email' : 'contact has this email (not primary)',
      };
    }
  }

  // The contact's id is needed now; its email and link go with the commit.
  const contactId = await repos.contacts.insert(db, newContactFor(facts, rules.contactType));
  if (facts.email !== '') tx.atCommit(repos.contacts.insertEmailStatement(contactId, facts.email, true));
  tx.atCommit(
    repos.links.insertStatement({ domainId: rules.domainId, ufId: facts.id, ufName: facts.email === '' ? null : facts.email, contactId }),
  );
  return {
    action: 'created',
    contactId,
    reason: facts.email === '' ? 'user has no email; contact created from names' : 'no contact has this email',
  };
}
