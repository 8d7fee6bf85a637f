/**
 * erasePersonalData(request): erases what the bridge keeps of one person, in calls that each
 * end soon (the WordPress eraser calls again until done):
 * - the user's audit rows are deleted, at most ERASE_AUDIT_BATCH per call;
 * - the user's state rows are kept while the WordPress user exists (the link's bookkeeping:
 *   without the address and names last applied, the next event would take WordPress's names
 *   over a CRM edit) and deleted when it does not;
 * - every other text naming the address, and the user's entries of runs' changes, are erased
 *   (the address replaced, the entries dropped), the retained state rows' reasons included.
 * The CRM's rows (contact, emails, link) are never touched. A text written again meanwhile is
 * left for the next call: `done` is true only when nothing of the person is left.
 */
import { erasedText, mentionsOf, type PersonalDataRequest } from './personal-data';
import type { PrivacyDeps } from './export-personal-data';

export const ERASE_AUDIT_BATCH = 2000;

export interface PersonalDataErasure {
  done: boolean;
  userExists: boolean | null;
  auditDeleted: number;
  stateDeleted: number;
  stateRetained: number;
  mentionsErased: number;
  /** Mentions that changed while being erased: the next call erases them. */
  mentionsLeft: number;
}

export async function erasePersonalData(deps: PrivacyDeps, request: PersonalDataRequest, batch = ERASE_AUDIT_BATCH): Promise<PersonalDataErasure> {
  const { db, store } = deps;
  const result: PersonalDataErasure = { done: false, userExists: null, auditDeleted: 0, stateDeleted: 0, stateRetained: 0, mentionsErased: 0, mentionsLeft: 0 };
  if (request.userId !== null) {
    const domains = await store.domainsOf(db, request.userId);
    result.userExists = await store.userExists(db, request.userId);
    result.auditDeleted = await store.deleteAudit(db, request.userId, domains, batch);
    if (result.auditDeleted === batch) return result;
    if (result.userExists) result.stateRetained = (await store.stateRows(db, request.userId, domains)).length;
    else result.stateDeleted = await store.deleteState(db, request.userId, domains);
  }
  for await (const found of mentionsOf(db, store, request, null)) {
    if (await store.rewrite(db, found.mention, erasedText(found, request))) result.mentionsErased += 1;
    else result.mentionsLeft += 1;
  }
  result.done = result.mentionsLeft === 0;
  return result;
}
