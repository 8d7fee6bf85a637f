/**
 * reconcileUser(userId): make the CRM agree with the WordPress user as it is in the database
 * now. Every event means this; so an event delivered twice, late or out of order does no harm.
 * Contact, email, link, state and audit are written in one transaction, retried on deadlock
 * or duplicate key (the unique keys of civicrm_uf_match decide races). Its statements travel
 * in few round trips: the claim with the user read, the writes with COMMIT.
 */
import type { Link } from '../data-access/links';
import type { Pool } from '../data-access/pool';
import type { WpUser } from '../data-access/wp-users';
import type { Repositories } from '../data-access/repositories';
import type { Logger } from '../lib/logger';
import { withBatchedTransaction, type TransactionBatch } from '../lib/transaction';
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
      // The user's state row first (events for one user take turns), and the user with it.
      const [, userRows] = await tx.run([
        repos.userState.claimStatement(rules.domainId, userId),
        repos.wpUsers.findByIdStatement(userId),
      ]);
      const result = await decide(tx, deps, userId, repos.wpUsers.userFromRows(userRows, userId));
      const record = { domainId: rules.domainId, ufId: userId, ...result };
      tx.atCommit(repos.userState.recordStatement(record));
      tx.atCommit(repos.audit.insertStatement([{ ...record, source }]));
      return result;
    },
    { retryOnDuplicate: true, logger: deps.logger },
  );
  const outcome = { userId, ...decision };
  deps.logger.info({ userId, source, ...decision }, 'user reconciled');
  return outcome;
}

async function decide(tx: TransactionBatch, deps: ReconcileDeps, userId: number, user: WpUser | null): Promise<Decision> {
  const { repos, rules } = deps;
  const db = tx.connection;
  const facts = user === null ? null : userFacts(user);
  // This user's links, and (when it has an email) whoever else holds that email as uf_name.
  const { own: links, holders } = await repos.links.findForUserAndUfName(
    db,
    rules.domainId,
    userId,
    facts && facts.email !== '' ? facts.email : null,
  );

  if (user === null || facts === null) {
    if (links.length === 0) return { action: 'unchanged', contactId: null, reason: 'user does not exist and has no link' };
    tx.atCommit(repos.links.deleteByUserStatement(rules.domainId, userId));
    return { action: 'unlinked', contactId: links[0].contactId, reason: 'user no longer exists; contact kept' };
  }

  const problem = storageProblem(facts);
  if (problem !== null) return { action: 'skipped', contactId: links[0]?.contactId ?? null, reason: problem };
  if (links.length > 0) return updateLinked(tx, deps, facts, links[0], holders);
  if (hasNothingToLink(facts)) return { action: 'skipped', contactId: null, reason: NOTHING_TO_LINK };
  return linkUnlinked(tx, deps, facts, holders);
}

async function updateLinked(
  tx: TransactionBatch,
  { repos, rules }: ReconcileDeps,
  facts: UserFacts,
  link: { id: number; ufName: string | null; contactId: number | null },
  holders: Link[],
): Promise<Decision> {
  const db = tx.connection;
  const contact = link.contactId === null ? null : await repos.contacts.findById(db, link.contactId);
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
    const emails = await repos.contacts.listEmails(db, contact.id);
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
  holders: Link[],
): Promise<Decision> {
  const db = tx.connection;
  if (facts.email !== '') {
    if (holders.length > 0) {
      return { action: 'conflict', contactId: null, reason: `email ${facts.email} is already linked to user ${holders[0].ufId}` };
    }
    const rows = await repos.contacts.findCandidateRows(db, [facts.email], rules.contactType, rules.domainId);
    const candidate = chooseCandidate(rows, facts.email);
    if (candidate) {
      tx.atCommit(
        repos.links.insertStatement({ domainId: rules.domainId, ufId: facts.id, ufName: facts.email, contactId: candidate.contactId }),
      );
      if (rules.syncNames) {
        const contact = await repos.contacts.findById(db, candidate.contactId);
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
