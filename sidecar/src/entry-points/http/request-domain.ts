/**
 * Which CRM domain a signed request acts on: the one place that decides it. A request names a
 * site (`blog_id`, mapped by CRM_DOMAIN_BY_BLOG; sites not listed use CRM_DOMAIN_ID) or a
 * domain (`domain_id`, which must be one the sidecar is configured for), in its JSON body or
 * its query string; naming neither means CRM_DOMAIN_ID. Anything else is a 400.
 */
import { configuredDomains, domainForBlog, type Config } from '../../config';
import { AppError } from '../../lib/errors';
import { MAX_USER_ID } from './request-schemas';

export interface DomainChoice {
  blogId?: number;
  domainId?: number;
}

export type ResolveDomain = (choice: DomainChoice) => number;

export function domainResolver(config: Pick<Config, 'crmDomainId' | 'domainByBlog'>): ResolveDomain {
  const known = new Set(configuredDomains(config));
  return ({ blogId, domainId }) => {
    if (domainId !== undefined && !known.has(domainId)) {
      throw new AppError('BAD_REQUEST', `Unknown domain_id ${domainId}: this sidecar serves CRM domains ${[...known].join(', ')}.`, 400);
    }
    const ofBlog = blogId === undefined ? undefined : domainForBlog(config, blogId);
    if (ofBlog !== undefined && domainId !== undefined && ofBlog !== domainId) {
      throw new AppError('BAD_REQUEST', `blog_id ${blogId} maps to CRM domain ${ofBlog}, not to domain_id ${domainId}.`, 400);
    }
    return domainId ?? ofBlog ?? config.crmDomainId;
  };
}

function queryId(raw: unknown, name: string): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^[1-9]\d{0,9}$/.test(raw) || Number(raw) > MAX_USER_ID) {
    throw new AppError('BAD_REQUEST', `Invalid ${name}: expected one integer from 1 to ${MAX_USER_ID}.`, 400);
  }
  return Number(raw);
}

/** blog_id / domain_id of a query string (each at most once). */
export function domainChoiceFromQuery(query: Record<string, unknown>): DomainChoice {
  return { blogId: queryId(query.blog_id, 'blog_id'), domainId: queryId(query.domain_id, 'domain_id') };
}
