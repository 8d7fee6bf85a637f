import type { Database } from '../lib/transaction';
import type { EngineStore } from './ports';

export interface UserLink {
  user_id: number;
  contact_id: number | null;
  uf_name: string | null;
  domain_id: number;
}

/** The links of these users in the domain (one per user; the oldest where a database holds several). */
export async function readLinks(deps: { db: Database; store: EngineStore }, domainId: number, userIds: readonly number[]): Promise<UserLink[]> {
  const links = await deps.store.linksOf(deps.db, domainId, userIds);
  const seen = new Set<number>();
  const result: UserLink[] = [];
  for (const link of [...links].sort((a, b) => a.id - b.id)) {
    if (seen.has(link.ufId)) continue;
    seen.add(link.ufId);
    result.push({ user_id: link.ufId, contact_id: link.contactId, uf_name: link.ufName, domain_id: link.domainId });
  }
  return result;
}
