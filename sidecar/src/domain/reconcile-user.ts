/**
 * reconcileUser(userId): make the CRM agree with the WordPress user as it is in the database
 * now. Every event means this; so an event delivered twice, late or out of order does no harm.
 * Contact, email, link, state and audit are written in one transaction, retried on deadlock
 * or duplicate key (the unique keys of civicrm_uf_match decide races).
 */
import type { PoolConnection } from 'mysql2/promise';
import type { Link } from '../data-access/links';
import type { Pool } from '../data-access/pool';
import type { Repositories } from '../data-access/repositories';
import type { Logger } from '../lib/logger';
import { withTransaction } from '../lib/transaction';
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
  const decision = await withTransaction(
    deps.pool,
    async (db) => {
      await repos.userState.claim(db, rules.domainId, userId);
      const result = await decide(db, deps, userId);
      const record = { domainId: rules.domainId, ufId: userId, ...result };
      await repos.userState.record(db, record);
      await repos.audit.insertMany(db, [{ ...record, source }]);
      return result;
    },
    { retryOnDuplicate: true, logger: deps.logger },
  );
  const outcome = { userId, ...decision };
  deps.logger.info({ userId, source, ...decision }, 'user reconciled');
  return outcome;
}

async function decide(db: PoolConnection, deps: ReconcileDeps, userId: number): Promise<Decision> {
  const { repos, rules } = deps;
  const user = await repos.wpUsers.findById(db, userId);
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
    await repos.links.deleteByUser(db, rules.domainId, userId);
    return { action: 'unlinked', contactId: links[0].contactId, reason: 'user no longer exists; contact kept' };
  }

  const problem = storageProblem(facts);
  if (problem !== null) return { action: 'skipped', contactId: links[0]?.contactId ?? null, reason: problem };
  if (links.length > 0) return updateLinked(db, deps, facts, links[0], holders);
  if (hasNothingToLink(facts)) return { action: 'skipped', contactId: null, reason: NOTHING_TO_LINK };
  return linkUnlinked(db, deps, facts, holders);
}

async function updateLinked(
  db: PoolConnection,
  { repos, rules }: ReconcileDeps,
  facts: UserFacts,
  link: { id: number; ufName: string | null; contactId: number | null },
  holders: Link[],
): Promise<Decision> {
  const contact = link.contactId === null ? null : await repos.contacts.findById(db, link.contactId);
  if (contact === null) return { action: 'skipped', contactId: null, reason: 'link has no contact' };
  if (contact.isDeleted) {
    return { action: 'skipped', contactId: contact.id, reason: `linked contact ${contact.id} is in the trash` };
  }

  const changed: string[] = [];
  if (facts.email === '') {
    // An empty WordPress email never removes an email from the contact.
    if (link.ufName !== null) {
      await repos.links.setUfName(db, link.id, null);
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
    await repos.links.setUfName(db, link.id, facts.email);
    const emails = await repos.contacts.listEmails(db, contact.id);
    const same = emails.find((e) => normaliseEmail(e.email) === facts.email);
    const primary = emails.find((e) => e.isPrimary);
    if (same) {
      if (!same.isPrimary) await repos.contacts.setPrimaryEmail(db, contact.id, same.id);
    } else if (primary) {
      await repos.contacts.setEmailAddress(db, primary.id, facts.email);
    } else {
      await repos.contacts.insertEmail(db, contact.id, facts.email, true);
    }
    changed.push('email');
  }

  if (rules.syncNames) {
    const names = mergedNames(contact, facts);
    if (names) {
      await repos.contacts.updateNames(db, contact.id, names);
      changed.push('names');
    }
  }
  return changed.length > 0
    ? { action: 'updated', contactId: contact.id, reason: `${changed.join(', ')} changed` }
    : { action: 'unchanged', contactId: contact.id, reason: null };
}

async function linkUnlinked(
  db: PoolConnection,
  { repos, rules }: ReconcileDeps,
  facts: UserFacts,
  holders: Link[],
): Promise<Decision> {
  if (facts.email !== '') {
    if (holders.length > 0) {
      return { action: 'conflict', contactId: null, reason: `email ${facts.email} is already linked to user ${holders[0].ufId}` };
    }
    const rows = await repos.contacts.findCandidateRows(db, [facts.email], rules.contactType, rules.domainId);
    const candidate = chooseCandidate(rows, facts.email);
    if (candidate) {
      await repos.links.insert(db, {
        domainId: rules.domainId,
        ufId: facts.id,
        ufName: facts.email,
        contactId: candidate.contactId,
      });
      if (rules.syncNames) {
        const contact = await repos.contacts.findById(db, candidate.contactId);
        const names = contact ? mergedNames(contact, facts) : null;
        if (names) await repos.contacts.updateNames(db, candidate.contactId, names);
      }
      return {
        action: 'matched',
        contactId: candidate.contactId,
        reason: candidate.viaPrimary ? 'contact has this primary email' : 'contact has this email (not primary)',
      };
    }
  }

  const contactId = await repos.contacts.insert(db, newContactFor(facts, rules.contactType));
  if (facts.email !== '') await repos.contacts.insertEmail(db, contactId, facts.email, true);
  await repos.links.insert(db, {
    domainId: rules.domainId,
    ufId: facts.id,
    ufName: facts.email === '' ? null : facts.email,
    contactId,
  });
  return {
    action: 'created',
    contactId,
    reason: facts.email === '' ? 'user has no email; contact created from names' : 'no contact has this email',
  };
}
