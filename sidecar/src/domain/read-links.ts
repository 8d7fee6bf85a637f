import type { Pool } from '../data-access/pool';
import type { Repositories } from '../data-access/repositories';

export interface UserLink {
  user_id: number;
  contact_id: number | null;
  uf_name: string | null;
  domain_id: number;
}

/** The links of these users in the domain (one per user; the oldest where a legacy database holds several). */
export async function readLinks(
  deps: { pool: Pool; repos: Repositories },
  domainId: number,
  userIds: number[],
): Promise<UserLink[]> {
  const links = await deps.repos.links.findForUsers(deps.pool, domainId, userIds);
  const seen = new Set<number>();
  const result: UserLink[] = [];
  for (const link of links) {
    if (seen.has(link.ufId)) continue;
    seen.add(link.ufId);
    result.push({ user_id: link.ufId, contact_id: link.contactId, uf_name: link.ufName, domain_id: link.domainId });
  }
  return result;
}
