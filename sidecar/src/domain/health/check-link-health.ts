/**
 * checkLinkHealth({domain}): what is wrong with the domain's links, counted per kind, with one
 * page of findings. Set-based and chunked like the bulk sync: one range of users at a time (the
 * database drops the plainly healthy ones), then the contacts linked more than once; memory holds
 * one range and one page, whatever the site's size. The route, the CLI and the repair use it.
 */
import type { Database } from '../../lib/transaction';
import type { EngineStore, HealthStore } from '../ports';
import { FINDING_KINDS, findingsOf, kindIndex, linkedTwiceFinding, type Finding, type FindingKind, type HealthRules } from './findings';

export interface HealthDeps {
  db: Database;
  health: HealthStore;
  store: Pick<EngineStore, 'linksOf'>;
  rules: HealthRules;
  /** Users per range. */
  chunkSize: number;
}

/** Contacts linked twice read per statement. */
const TWICE_PAGE = 1000;

export type HealthCounts = Record<FindingKind, number>;

export function zeroHealthCounts(): HealthCounts {
  return Object.fromEntries(FINDING_KINDS.map((k) => [k, 0])) as HealthCounts;
}

/** Where a finding stands in the report: the users' ranges first (phase 0), then the contacts (phase 1). */
interface Position {
  phase: 0 | 1;
  key: number;
  kind: number;
}

function positionOf(f: Finding): Position {
  return { phase: f.kind === 'contact_linked_twice' ? 1 : 0, key: f.key, kind: kindIndex(f.kind) };
}

function after(a: Position, b: Position): boolean {
  return a.phase - b.phase > 0 || (a.phase === b.phase && (a.key > b.key || (a.key === b.key && a.kind > b.kind)));
}

/** The opaque cursor of a finding ("u.<user id>.<kind>" or "c.<contact id>"), and back. */
export function cursorOf(f: Finding): string {
  const p = positionOf(f);
  return p.phase === 0 ? `u.${p.key}.${p.kind}` : `c.${p.key}`;
}

export const CURSOR_PATTERN = /^(u\.(\d{1,15})\.(\d)|c\.(\d{1,15}))$/;

export function parseCursor(text: string): Position | null {
  const m = CURSOR_PATTERN.exec(text);
  if (!m) return null;
  return m[2] !== undefined ? { phase: 0, key: Number(m[2]), kind: Number(m[3]) } : { phase: 1, key: Number(m[4]), kind: kindIndex('contact_linked_twice') };
}

export interface ScanStep {
  findings: Finding[];
  /** Users of the ranges walked so far. */
  users: number;
}

/** Walks the domain: each range's findings (sorted), then the contacts linked twice. */
export async function* scanFindings(deps: HealthDeps, signal?: AbortSignal): AsyncGenerator<ScanStep> {
  const { db, health, rules } = deps;
  let from = 0;
  let users = 0;
  for (;;) {
    if (signal?.aborted) return;
    const upTo = await health.rangeEnd(db, from, deps.chunkSize);
    const facts = await health.readRange(db, rules.domainId, rules.contactType, from, upTo);
    users += upTo === null ? 0 : deps.chunkSize;
    yield { findings: findingsOf(facts, rules), users };
    if (upTo === null) break;
    from = upTo;
  }
  let contact = 0;
  for (;;) {
    if (signal?.aborted) return;
    const twice = await health.contactsLinkedTwice(db, rules.domainId, contact, TWICE_PAGE);
    yield { findings: twice.map((t) => linkedTwiceFinding(t.contactId, t.userIds, rules)), users };
    if (twice.length < TWICE_PAGE) break;
    contact = twice[twice.length - 1].contactId;
  }
}

export interface HealthReport {
  domainId: number;
  checkedAt: Date;
  counts: HealthCounts;
  findings: Finding[];
  /** The cursor of the next page, null when this page is the last. */
  next: string | null;
}

export interface HealthQuery {
  kind?: FindingKind;
  /** A cursor from a previous page. */
  after?: string;
  limit: number;
}

export async function checkLinkHealth(deps: HealthDeps, query: HealthQuery): Promise<HealthReport> {
  const checkedAt = new Date();
  const start = query.after === undefined ? null : parseCursor(query.after);
  const counts = zeroHealthCounts();
  const page: Finding[] = [];
  let more = false;
  for await (const step of scanFindings(deps)) {
    for (const f of step.findings) {
      counts[f.kind] += 1;
      if (query.kind !== undefined && f.kind !== query.kind) continue;
      if (start !== null && !after(positionOf(f), start)) continue;
      if (page.length < query.limit) page.push(f);
      else more = true;
    }
  }
  return { domainId: deps.rules.domainId, checkedAt, counts, findings: page, next: more ? cursorOf(page[page.length - 1]) : null };
}

export type LinkState = 'ok' | 'drift' | 'contact_trashed' | 'contact_gone' | 'not_linked';

export interface UserHealth {
  userId: number;
  domainId: number;
  contactId: number | null;
  state: LinkState;
  findings: Finding[];
}

/** One user's link and what is wrong with it (the profile screen). */
export async function userHealth(deps: HealthDeps, userId: number): Promise<UserHealth> {
  const { db, health, rules } = deps;
  const facts = await health.readRange(db, rules.domainId, rules.contactType, userId - 1, userId);
  const findings = findingsOf(facts, rules);
  const links = (await deps.store.linksOf(db, rules.domainId, [userId])).sort((a, b) => a.id - b.id);
  const contactId = links[0]?.contactId ?? null;
  if (contactId !== null) {
    const [twice] = await health.contactsLinkedTwice(db, rules.domainId, contactId - 1, 1);
    if (twice?.contactId === contactId) findings.push(linkedTwiceFinding(contactId, twice.userIds, rules));
  }
  const has = (kind: FindingKind) => findings.some((f) => f.kind === kind);
  const state: LinkState =
    links.length === 0 ? 'not_linked' : has('link_contact_gone') ? 'contact_gone' : has('link_contact_trashed') ? 'contact_trashed' : findings.length > 0 ? 'drift' : 'ok';
  return { userId, domainId: rules.domainId, contactId, state, findings };
}
