/**
 * checkLinkHealth({domain}): what is wrong with the domain's links, counted per kind, with one
 * page of findings. Set-based and chunked like the bulk sync: one range of users at a time (the
 * database drops the plainly healthy ones), then the contacts linked more than once; memory holds
 * one range and one page, whatever the site's size. The route, the CLI and the repair use it.
 */
import type { Database } from '../../lib/transaction';
import type { EngineStore, HealthStore } from '../ports';
import { FINDING_KINDS, findingsOf, kindIndex, linkedTwiceFinding, type Finding, type FindingKind, type HealthRules, type RangeFacts } from './findings';

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

export interface ScanOptions {
  signal?: AbortSignal;
  /** Start after this user id (default 0: every user). */
  after?: number;
  /** The users' ranges only (no contacts linked twice). */
  usersOnly?: boolean;
  /**
   * Ranges read at once (default 2: the database works on the next range while this one is
   * classified, on another connection and core; a repair reads one at a time, after its writes).
   */
  readAhead?: number;
}

/** A read started ahead; its failure is handled here too, so that a walk left early leaves no unhandled rejection. */
function started<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** Walks the domain: each range's findings (sorted), then the contacts linked twice. */
export async function* scanFindings(deps: HealthDeps, options: ScanOptions = {}): AsyncGenerator<ScanStep> {
  const { db, health, rules } = deps;
  const { signal } = options;
  const depth = Math.max(1, options.readAhead ?? 2);
  // The contacts linked twice are one statement over the domain's links: it runs beside the users' ranges.
  let twice = options.usersOnly ? null : started(health.contactsLinkedTwice(db, rules.domainId, 0, TWICE_PAGE));
  const inFlight: Array<{ facts: Promise<RangeFacts>; last: boolean }> = [];
  let from = options.after ?? 0;
  let done = false;
  const readNext = async () => {
    const upTo = await health.rangeEnd(db, from, deps.chunkSize);
    inFlight.push({ facts: started(health.readRange(db, rules.domainId, rules.contactType, { after: from, upTo }, rules.memberBlogs)), last: upTo === null });
    done = upTo === null;
    if (upTo !== null) from = upTo;
  };
  let users = 0;
  while (!done || inFlight.length > 0) {
    if (signal?.aborted) return;
    while (!done && inFlight.length < depth) await readNext();
    const next = inFlight.shift()!;
    const facts = await next.facts;
    users += next.last ? 0 : deps.chunkSize;
    yield { findings: findingsOf(facts, rules), users };
  }
  let contact = 0;
  while (twice !== null) {
    if (signal?.aborted) return;
    const page = await twice;
    yield { findings: page.map((t) => linkedTwiceFinding(t.contactId, t.userIds, rules)), users };
    if (page.length < TWICE_PAGE) break;
    contact = page[page.length - 1].contactId;
    twice = health.contactsLinkedTwice(db, rules.domainId, contact, TWICE_PAGE);
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

/** A user's link states, as GET /v1/users/:id/health and /v1/links?with=state tell them. */
export const LINK_STATES = ['ok', 'drift', 'contact_trashed', 'contact_gone', 'not_linked'] as const;
export type LinkState = (typeof LINK_STATES)[number];

export interface UserHealth {
  userId: number;
  domainId: number;
  contactId: number | null;
  state: LinkState;
  findings: Finding[];
}

/** These users' links and what is wrong with them (the profile screen, the Users column), in the order asked. */
export async function usersHealth(deps: HealthDeps, userIds: readonly number[]): Promise<UserHealth[]> {
  const { db, health, rules } = deps;
  const ids = [...new Set(userIds)];
  const facts = await health.readRange(db, rules.domainId, rules.contactType, { ids }, rules.memberBlogs);
  const findings = findingsOf(facts, rules);
  const links = (await deps.store.linksOf(db, rules.domainId, ids)).sort((a, b) => a.id - b.id);
  const contactOf = new Map<number, number | null>();
  for (const l of links) if (!contactOf.has(l.ufId)) contactOf.set(l.ufId, l.contactId);
  const contactIds = [...new Set([...contactOf.values()].filter((c): c is number => c !== null))];
  const twice = new Map((await health.linkedTwiceAmong(db, rules.domainId, contactIds)).map((t) => [t.contactId, t.userIds]));
  return userIds.map((userId) => {
    const contactId = contactOf.get(userId) ?? null;
    const own = findings.filter((f) => f.userId === userId);
    const others = contactId === null ? undefined : twice.get(contactId);
    if (contactId !== null && others) own.push(linkedTwiceFinding(contactId, others, rules));
    const has = (kind: FindingKind) => own.some((f) => f.kind === kind);
    const state: LinkState = !contactOf.has(userId)
      ? 'not_linked'
      : has('link_contact_gone')
        ? 'contact_gone'
        : has('link_contact_trashed')
          ? 'contact_trashed'
          : own.length > 0
            ? 'drift'
            : 'ok';
    return { userId, domainId: rules.domainId, contactId, state, findings: own };
  });
}

export async function userHealth(deps: HealthDeps, userId: number): Promise<UserHealth> {
  const [one] = await usersHealth(deps, [userId]);
  return one;
}
