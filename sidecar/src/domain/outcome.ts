import type { Config } from '../config';

export const ACTIONS = ['matched', 'created', 'updated', 'unchanged', 'unlinked', 'skipped', 'conflict'] as const;
export type Action = (typeof ACTIONS)[number];

/** What reconciling one user did. */
export interface Outcome {
  userId: number;
  action: Action;
  contactId: number | null;
  reason: string | null;
}

/** Where an event came from, recorded with the outcome. */
export type EventSource = 'user_register' | 'profile_update' | 'deleted_user' | 'wp_login' | 'sync' | 'cli';

/** The settings the rules depend on. */
export interface LinkingRules {
  domainId: number;
  contactType: string;
  syncNames: boolean;
}

/** The rules as the configuration sets them (the sidecar, the jobs and the CLI build them here). */
export function linkingRules(config: Pick<Config, 'crmDomainId' | 'crmContactType' | 'syncNames'>): LinkingRules {
  return { domainId: config.crmDomainId, contactType: config.crmContactType, syncNames: config.syncNames };
}
