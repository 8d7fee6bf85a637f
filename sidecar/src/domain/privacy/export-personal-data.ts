/**
 * exportPersonalData(request, page): what the bridge keeps of one person, a page at a time (the
 * WordPress exporter asks page 1, 2, … until done). Page 1 has the state rows and the mentions;
 * every page has the next audit rows of the user.
 */
import type { Database } from '../../lib/transaction';
import type { AuditEntry, PersonalDataStore, StateEntry } from '../ports';
import { mentionsOf, type PersonalDataRequest } from './personal-data';

export const EXPORT_PAGE_SIZE = 500;

export interface PrivacyDeps {
  db: Database;
  store: PersonalDataStore;
}

export interface MentionView {
  source: string;
  domainId: number;
  at: Date;
  /** A reason naming the address (audit, state rows of another user). */
  text: string | null;
  /** A run's id and its entries that are the person's. */
  runId: number | null;
  entries: unknown[] | null;
}

export interface PersonalDataExport {
  page: number;
  done: boolean;
  /** Whether the WordPress user exists (null: the request names no user). */
  userExists: boolean | null;
  state: StateEntry[];
  audit: AuditEntry[];
  mentions: MentionView[];
}

export async function exportPersonalData(deps: PrivacyDeps, request: PersonalDataRequest, page: number): Promise<PersonalDataExport> {
  const { db, store } = deps;
  const domains = request.userId === null ? [] : await store.domainsOf(db, request.userId);
  const userExists = request.userId === null ? null : await store.userExists(db, request.userId);
  const audit = request.userId === null ? [] : await store.auditPage(db, request.userId, domains, (page - 1) * EXPORT_PAGE_SIZE, EXPORT_PAGE_SIZE);
  const result: PersonalDataExport = { page, done: audit.length < EXPORT_PAGE_SIZE, userExists, state: [], audit, mentions: [] };
  if (page !== 1) return result;
  if (request.userId !== null) result.state = await store.stateRows(db, request.userId, domains);
  for await (const { mention, entries } of mentionsOf(db, store, request, request.userId)) {
    const run = mention.ufId === null;
    result.mentions.push({ source: mention.source, domainId: mention.domainId, at: mention.at, text: run ? null : mention.text, runId: run ? mention.key[0] : null, entries });
  }
  return result;
}
