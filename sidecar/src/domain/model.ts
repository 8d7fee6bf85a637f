/**
 * The domain's own types: what the rules read (users, links, contacts, emails, recorded state)
 * and what they decide (outcomes). data-access maps database rows to these; nothing here knows
 * the driver.
 */
import type { Config } from '../config';

export const ACTIONS = ['matched', 'created', 'updated', 'unchanged', 'unlinked', 'skipped', 'conflict'] as const;
export type Action = (typeof ACTIONS)[number];

/** Where an event came from, recorded with its outcome. */
export type EventSource = 'user_register' | 'profile_update' | 'deleted_user' | 'wp_login' | 'sync' | 'cli' | 'repair';

export type ContactType = 'Individual' | 'Organization' | 'Household';

/** A WordPress user as the rules read it: id and email of {prefix}users, two usermeta values. */
export interface WpUser {
  id: number;
  email: string;
  firstName: string;
  lastName: string;
}

/** A row of civicrm_uf_match. */
export interface Link {
  id: number;
  domainId: number;
  ufId: number;
  ufName: string | null;
  contactId: number | null;
}

/** What the rules read of a contact. */
export interface Contact {
  id: number;
  contactType: string;
  isDeleted: boolean;
  firstName: string | null;
  middleName: string | null;
  lastName: string | null;
  prefixId: number | null;
  suffixId: number | null;
  displayName: string | null;
  sortName: string | null;
  organizationName: string | null;
  householdName: string | null;
  greetings: ContactGreetings;
  /**
   * false when read without the columns CiviCRM derives from the names (a bulk chunk reads those
   * only for the contacts whose user changed): such a contact is compared, never re-presented.
   */
  complete: boolean;
}

export const GREETINGS = ['email_greeting', 'postal_greeting', 'addressee'] as const;
export type GreetingKind = (typeof GREETINGS)[number];

/** A contact's greeting: the option value it uses, a custom text, and the rendered display. */
export interface Greeting {
  id: number | null;
  custom: string | null;
  display: string | null;
}
export type ContactGreetings = Record<GreetingKind, Greeting>;

export interface ContactEmail {
  id: number;
  contactId: number;
  email: string;
  isPrimary: boolean;
}

/** An email row of a live contact of the configured type whose address the collation calls equal to one looked up. */
export interface CandidateRow {
  contactId: number;
  email: string;
  isPrimary: boolean;
  /** Whether the database holds a link to this contact in the domain (before this plan). */
  linkedInDomain: boolean;
}

/** The WordPress values last applied to the user's contact ('' for an empty one). */
export interface Applied {
  email: string;
  firstName: string;
  lastName: string;
}

/** An outcome as a user's state row holds it. */
export interface RecordedOutcome {
  action: string;
  contactId: number | null;
  reason: string | null;
}

/** contact_bridge_user_state: the per-user row every reconcile transaction takes first. */
export interface UserState {
  ufId: number;
  /** Bumped by every transaction that takes or writes the row. */
  version: number;
  /** null when the row was only claimed so far. */
  outcome: RecordedOutcome | null;
  /** null when nothing was recorded yet (a link from before the bridge recorded values). */
  applied: Applied | null;
}

/** What reconciling one user did. */
export interface Outcome {
  userId: number;
  action: Action;
  contactId: number | null;
  reason: string | null;
}

/** The settings the rules depend on. */
export interface LinkingRules {
  domainId: number;
  contactType: ContactType;
  syncNames: boolean;
  /** What a deleted user's contact becomes: kept, or trashed when nothing else links it (see trashMatched). */
  onUserDelete: 'keep' | 'trash';
  /** Trash a deleted user's contact the bridge did not create too. */
  trashMatched: boolean;
  /**
   * Multisite: the sites whose members are the domain's users (a domain CRM_DOMAIN_BY_BLOG maps
   * sites to); null: every user is (CRM_DOMAIN_ID's domain, and every single site).
   */
  memberBlogs: readonly number[] | null;
}

/** The rules as the configuration sets them, for one domain. */
export function linkingRules(
  config: Pick<Config, 'crmDomainId' | 'crmContactType' | 'syncNames' | 'onUserDelete' | 'trashMatchedContacts' | 'domainByBlog'>,
  domainId = config.crmDomainId,
): LinkingRules {
  return {
    domainId,
    contactType: config.crmContactType,
    syncNames: config.syncNames,
    onUserDelete: config.onUserDelete,
    trashMatched: config.trashMatchedContacts,
    memberBlogs: memberBlogsOf(config, domainId),
  };
}

/** The sites mapped to a domain of its own (null for CRM_DOMAIN_ID's domain: every user belongs). */
function memberBlogsOf(config: Pick<Config, 'crmDomainId' | 'domainByBlog'>, domainId: number): number[] | null {
  if (domainId === config.crmDomainId) return null;
  return Object.entries(config.domainByBlog)
    .filter(([, d]) => d === domainId)
    .map(([blog]) => Number(blog))
    .sort((a, b) => a - b);
}

/** Who a snapshot is read for: the domain, the contact type, and which users belong to the domain. */
export type ReadScope = Pick<LinkingRules, 'domainId' | 'contactType' | 'memberBlogs'>;

/** What the deletion policy reads of a deleted user's contact. */
export interface TrashFacts {
  /** civicrm_contact.source. */
  source: string | null;
  /** Links to the contact other than the deleted users' in this domain (any domain). */
  otherLinks: number;
}

/**
 * The CRM's own conventions the bridge follows when it writes a contact: read from the
 * database (civicrm_location_type, civicrm_option_value), not hard-coded.
 */
export interface CrmConventions {
  /** civicrm_location_type with is_default = 1 (1 when the table is absent). */
  locationTypeId: number;
  prefixLabels: ReadonlyMap<number, string>;
  suffixLabels: ReadonlyMap<number, string>;
  /** Per greeting kind: option value id -> template (active values only). */
  greetingTemplates: Readonly<Record<GreetingKind, ReadonlyMap<number, string>>>;
  /** Per greeting kind and contact type: the default option value id, if any. */
  greetingDefaults: Readonly<Record<GreetingKind, Readonly<Partial<Record<ContactType, number>>>>>;
}

/** The conventions of a CRM without option tables: greetings left NULL, location type 1. */
export function bareConventions(): CrmConventions {
  const none = { email_greeting: new Map(), postal_greeting: new Map(), addressee: new Map() };
  return { locationTypeId: 1, prefixLabels: new Map(), suffixLabels: new Map(), greetingTemplates: none, greetingDefaults: { email_greeting: {}, postal_greeting: {}, addressee: {} } };
}
