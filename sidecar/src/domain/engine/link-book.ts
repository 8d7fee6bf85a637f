/**
 * The one answer to "is this address held by another user's link?" and "is this contact
 * linked?", for one user or a whole chunk: the domain's links as a plan sees them while it
 * walks its users in id order (what the database showed, plus what the plan changed so far,
 * plus what earlier chunks changed that the database does not show yet).
 *
 * Addresses are compared as the unique (uf_name, domain_id) index compares them, through
 * collation keys (`keyOf`, computed by data-access): utf8mb4_unicode_ci folds case and accents.
 */
import type { Link } from '../model';

/** A contact the plan refers to: an existing id, or the index of a contact the plan creates. */
export type ContactRef = { existing: number } | { created: number };

/**
 * Changes planned by earlier chunks that the database does not show yet: a dry run writes
 * nothing, and a real run plans chunk N+1 while chunk N is still being written. Identifiers
 * only, no user data.
 */
export interface CarriedChanges {
  takenKeys: Map<string, number>;
  staleLinkIds: Set<number>;
  contactsLinked: Set<number>;
  contactsFreed: Set<number>;
}

/** Where a plan reads carried changes `from` and records its own `into` (the same object for a dry run). */
export interface Carry {
  from: CarriedChanges;
  into: CarriedChanges;
}

export function emptyCarry(): CarriedChanges {
  return { takenKeys: new Map(), staleLinkIds: new Set(), contactsLinked: new Set(), contactsFreed: new Set() };
}

export interface LinkState {
  /** Database id, or a number above every database id for links the plan creates. */
  order: number;
  dbId: number | null;
  ufId: number;
  ufName: string | null;
  key: string | null;
  contact: ContactRef | null;
}

export class LinkBook {
  private readonly byUser = new Map<number, LinkState[]>();
  private readonly byKey = new Map<string, Set<LinkState>>();
  private readonly linkedContacts = new Map<number, number>();
  /** Contacts whose links in the domain this book holds all of (their state is known here). */
  private readonly trackedContacts = new Set<number>();
  private nextOrder = Number.MAX_SAFE_INTEGER / 2;

  /**
   * @param links the links the snapshot read (users' own links and holders of their addresses)
   * @param staticLinked contacts the database says are linked (from the candidate read)
   * @param carry changes of earlier chunks, and where this plan records its own (optional)
   */
  constructor(
    links: Link[],
    private readonly keyOf: (text: string) => string,
    private readonly staticLinked: ReadonlySet<number>,
    private readonly carry: Carry | null,
  ) {
    const seen = new Set<number>();
    for (const link of [...links].sort((a, b) => a.id - b.id)) {
      if (seen.has(link.id)) continue;
      seen.add(link.id);
      if (carry?.from.staleLinkIds.has(link.id)) continue; // changed or removed by a chunk the database does not show yet
      if (link.contactId !== null) this.trackedContacts.add(link.contactId);
      this.add({
        order: link.id,
        dbId: link.id,
        ufId: link.ufId,
        ufName: link.ufName,
        key: link.ufName === null ? null : keyOf(link.ufName),
        contact: link.contactId === null ? null : { existing: link.contactId },
      });
    }
  }

  private index(state: LinkState): void {
    if (state.key === null) return;
    const set = this.byKey.get(state.key) ?? new Set();
    set.add(state);
    this.byKey.set(state.key, set);
  }

  private add(state: LinkState): void {
    const list = this.byUser.get(state.ufId) ?? [];
    list.push(state);
    this.byUser.set(state.ufId, list);
    this.index(state);
    const id = existingId(state.contact);
    if (id !== null) this.linkedContacts.set(id, (this.linkedContacts.get(id) ?? 0) + 1);
  }

  /** The user's links, oldest first. */
  linksOf(ufId: number): LinkState[] {
    return this.byUser.get(ufId) ?? [];
  }

  /** The uf_id of the first (lowest id) other user's link holding this address, or null. */
  holderOtherThan(email: string, ufId: number): number | null {
    const key = this.keyOf(email);
    let best: LinkState | null = null;
    for (const state of this.byKey.get(key) ?? []) {
      if (state.ufId !== ufId && (best === null || state.order < best.order)) best = state;
    }
    if (best !== null) return best.ufId;
    const carried = this.carry?.from.takenKeys.get(key);
    return carried !== undefined && carried !== ufId ? carried : null;
  }

  isContactLinked(contactId: number): boolean {
    if ((this.linkedContacts.get(contactId) ?? 0) > 0) return true;
    if (this.trackedContacts.has(contactId)) return false;
    const from = this.carry?.from;
    if (from?.contactsLinked.has(contactId)) return true;
    return this.staticLinked.has(contactId) && !from?.contactsFreed.has(contactId);
  }

  /** Removes every link of a user (a deleted user's). */
  removeUser(ufId: number): void {
    for (const state of this.linksOf(ufId)) {
      if (state.key !== null) this.byKey.get(state.key)?.delete(state);
      const id = existingId(state.contact);
      if (id !== null) {
        this.linkedContacts.set(id, (this.linkedContacts.get(id) ?? 1) - 1);
        if (this.carry) {
          this.carry.into.contactsFreed.add(id);
          this.carry.into.contactsLinked.delete(id);
        }
      }
      this.dropKey(state);
    }
    this.byUser.delete(ufId);
  }

  setUfName(state: LinkState, ufName: string | null): void {
    if (state.key !== null) this.byKey.get(state.key)?.delete(state);
    this.dropKey(state);
    state.ufName = ufName;
    state.key = ufName === null ? null : this.keyOf(ufName);
    this.index(state);
    this.takeKey(state);
  }

  create(ufId: number, ufName: string | null, contact: ContactRef): void {
    const state: LinkState = { order: this.nextOrder++, dbId: null, ufId, ufName, key: ufName === null ? null : this.keyOf(ufName), contact };
    this.add(state);
    this.takeKey(state);
    const id = existingId(contact);
    if (this.carry && id !== null) {
      this.carry.into.contactsLinked.add(id);
      this.carry.into.contactsFreed.delete(id);
    }
  }

  private takeKey(state: LinkState): void {
    if (this.carry && state.key !== null) this.carry.into.takenKeys.set(state.key, state.ufId);
  }

  private dropKey(state: LinkState): void {
    if (!this.carry) return;
    if (state.dbId !== null) this.carry.into.staleLinkIds.add(state.dbId);
    if (state.key !== null && this.carry.into.takenKeys.get(state.key) === state.ufId) this.carry.into.takenKeys.delete(state.key);
  }
}

export function existingId(ref: ContactRef | null): number | null {
  return ref !== null && 'existing' in ref ? ref.existing : null;
}
