/**
 * Personal data the bridge keeps of its own, per person: what an export lists and an erase
 * removes. A person is a WordPress user id, an address, or both (a WordPress privacy request is
 * by address; the plugin adds the id of the user who has it).
 *
 * - audit rows of the user (contact_bridge_audit): history only; an erase deletes them.
 * - the user's state rows (contact_bridge_user_state): the link's bookkeeping (the contact and
 *   the address and names last applied, which decide what changed wins); kept while the
 *   WordPress user exists, with the address taken out of their reason; deleted when it does not.
 * - mentions: any other row of the bridge whose text names the address (a conflict reason of
 *   another user, a dry run's listed change) or whose entry is the user's (a run's changes): the
 *   address is replaced, the user's entries of a run are dropped.
 * The CRM (contacts, emails, links) is never touched.
 */
import type { Runner } from '../../lib/transaction';
import { normaliseEmail } from '../normalise-email';
import type { Mention, MentionSource, PersonalDataStore } from '../ports';

export interface PersonalDataRequest {
  userId: number | null;
  /** Normalised; '' when the request names none. */
  email: string;
}

export function personalDataRequest(userId: number | null, email: string | null): PersonalDataRequest {
  return { userId, email: normaliseEmail(email) };
}

export const ERASED_ADDRESS = '[address erased]';

/** Characters an address may have next to it and still be a part of a longer one. */
const BEFORE = "[\\p{L}\\p{N}.!#$%&'*+/=?^_`{|}~@-]";
const AFTER = '[\\p{L}\\p{N}_-]|\\.[\\p{L}\\p{N}]';

function addressPattern(email: string): RegExp {
  const escaped = email.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<!${BEFORE})${escaped}(?!${AFTER})`, 'giu');
}

/** Whether the text names the address (in any letter case; never a longer address that contains it). */
export function namesAddress(text: string | null, email: string): boolean {
  return email !== '' && text !== null && addressPattern(email).test(text);
}

/** The text with every occurrence of the address replaced. */
export function redactAddress(text: string, email: string): string {
  return email === '' ? text : text.replace(addressPattern(email), ERASED_ADDRESS);
}

/** An entry of a run's changes (sync: user_id, reason; repair: userId, change). */
type RunEntry = Record<string, unknown>;

export function entryUserId(entry: unknown): number | null {
  if (typeof entry !== 'object' || entry === null) return null;
  const e = entry as RunEntry;
  const id = e.user_id ?? e.userId;
  return typeof id === 'number' ? id : null;
}

/** Whether a run's change entry is the person's: the user's own, or naming the address. */
export function entryConcerns(entry: unknown, request: PersonalDataRequest): boolean {
  if (request.userId !== null && entryUserId(entry) === request.userId) return true;
  return Object.values((entry ?? {}) as RunEntry).some((v) => typeof v === 'string' && namesAddress(v, request.email));
}

/** A run's changes without the user's entries and without the address. */
export function eraseFromChanges(changes: readonly unknown[], request: PersonalDataRequest): unknown[] {
  return changes
    .filter((entry) => request.userId === null || entryUserId(entry) !== request.userId)
    .map((entry) =>
      typeof entry === 'object' && entry !== null
        ? Object.fromEntries(Object.entries(entry as RunEntry).map(([k, v]) => [k, typeof v === 'string' ? redactAddress(v, request.email) : v]))
        : entry,
    );
}

const MENTION_SOURCES: readonly MentionSource[] = ['audit', 'state', 'sync_run', 'repair_run'];
const MENTION_BATCH = 500;

/** A mention and what of it is the person's: a reason naming the address, or a run's entries. */
export interface PersonsMention {
  mention: Mention;
  /** For a run: its change entries that are the person's. */
  entries: unknown[] | null;
}

function parseChanges(text: string): unknown[] | null {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * Every row of the bridge whose text is the person's (checked exactly: the store's candidates are
 * wider), source by source in key order, a batch at a time.
 */
export async function* mentionsOf(db: Runner, store: PersonalDataStore, request: PersonalDataRequest, exceptUserId: number | null): AsyncGenerator<PersonsMention> {
  for (const source of MENTION_SOURCES) {
    let after: number[] | null = null;
    for (;;) {
      const batch: Mention[] = await store.mentions(db, source, { userId: request.userId, email: request.email, exceptUserId }, after, MENTION_BATCH);
      for (const mention of batch) {
        if (mention.ufId === null) {
          const entries = (parseChanges(mention.text) ?? []).filter((e) => entryConcerns(e, request));
          if (entries.length > 0) yield { mention, entries };
        } else if (namesAddress(mention.text, request.email)) {
          yield { mention, entries: null };
        }
      }
      if (batch.length < MENTION_BATCH) break;
      after = batch[batch.length - 1].key;
    }
  }
}

/** The mention's text with the person's part erased. */
export function erasedText(found: PersonsMention, request: PersonalDataRequest): string {
  if (found.entries === null) return redactAddress(found.mention.text, request.email);
  return JSON.stringify(eraseFromChanges(parseChanges(found.mention.text) ?? [], request));
}
