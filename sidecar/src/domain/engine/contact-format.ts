/**
 * Contacts as CiviCRM writes them: display and sort names by CiviCRM's default formats, the
 * greetings and addressee rendered from their option-value templates, and the columns of a
 * new contact. Pure: the templates and labels come in as CrmConventions.
 */
import { randomFillSync } from 'node:crypto';
import { GREETINGS, type Contact, type ContactGreetings, type ContactType, type CrmConventions, type GreetingKind } from '../model';
import type { UserFacts } from './user-facts';

/** CiviCRM's default `display_name_format` and `sort_name_format` settings. */
export const DISPLAY_NAME_FORMAT = '{contact.individual_prefix}{ }{contact.first_name}{ }{contact.last_name}{ }{contact.individual_suffix}';
export const SORT_NAME_FORMAT = '{contact.last_name}{, }{contact.first_name}';

/** civicrm_contact.display_name / sort_name / organization_name widths, and the greeting display columns. */
const NAME_COLUMN_MAX = 128;
const GREETING_MAX = 255;

export const CONTACT_SOURCE = 'WordPress user';

/** What a contact shows: the columns CiviCRM derives from its names. */
export interface Presentation {
  displayName: string | null;
  sortName: string | null;
  emailGreetingDisplay: string | null;
  postalGreetingDisplay: string | null;
  addresseeDisplay: string | null;
}

export const DISPLAY_COLUMNS: Record<GreetingKind, keyof Presentation> = {
  email_greeting: 'emailGreetingDisplay',
  postal_greeting: 'postalGreetingDisplay',
  addressee: 'addresseeDisplay',
};

/** The names a contact is presented by (after the rules applied WordPress's values). */
export type NamedContact = Pick<
  Contact,
  'contactType' | 'firstName' | 'middleName' | 'lastName' | 'prefixId' | 'suffixId' | 'organizationName' | 'householdName' | 'greetings'
>;

function clip(text: string, max: number): string {
  if (text.length <= max) return text; // as many UTF-16 units at most: no more characters
  const chars = [...text];
  return chars.length > max ? chars.slice(0, max).join('') : text;
}

/** Leading, trailing and repeated spaces removed (CiviCRM's CRM_Utils_String::stripSpaces). */
function stripSpaces(text: string): string {
  return /\s\s|^\s|\s$/.test(text) ? text.replace(/\s+/g, ' ').trim() : text;
}

function tokenValue(contact: NamedContact, conventions: CrmConventions, token: string): string | undefined {
  const label = (labels: ReadonlyMap<number, string>, id: number | null) => (id === null ? '' : (labels.get(id) ?? ''));
  switch (token) {
    case 'first_name':
      return contact.firstName ?? '';
    case 'middle_name':
      return contact.middleName ?? '';
    case 'last_name':
      return contact.lastName ?? '';
    case 'organization_name':
      return contact.organizationName ?? '';
    case 'household_name':
      return contact.householdName ?? '';
    case 'individual_prefix':
    case 'prefix_id:label':
      return label(conventions.prefixLabels, contact.prefixId);
    case 'individual_suffix':
    case 'suffix_id:label':
      return label(conventions.suffixLabels, contact.suffixId);
    default:
      return undefined;
  }
}

/**
 * Renders a name or greeting template: `{contact.x}` tokens take the contact's values, and a
 * separator token (`{ }`, `{, }`) appears only between two non-empty parts. Null when the
 * template holds anything this renderer does not know (another token, Smarty): CiviCRM's own
 * job renders those.
 */
export function renderTemplate(template: string, contact: NamedContact, conventions: CrmConventions): string | null {
  const pieces = parsed(template);
  if (pieces === null) return null;
  let out = '';
  let separator: string | null = null;
  for (const piece of pieces) {
    let part: string;
    if (piece.kind === 'separator') {
      separator = piece.text;
      continue;
    }
    if (piece.kind === 'token') {
      const value = tokenValue(contact, conventions, piece.text);
      if (value === undefined) return null;
      part = value.trim();
    } else {
      part = piece.text;
    }
    if (part === '') continue;
    if (separator !== null && out !== '') out += separator;
    separator = null;
    out += part;
  }
  return stripSpaces(out);
}

type Piece = { kind: 'text' | 'token' | 'separator'; text: string };
const parsedTemplates = new Map<string, Piece[] | null>();

/** A template's pieces (parsed once per template), or null when it holds syntax not known here. */
function parsed(template: string): Piece[] | null {
  let pieces = parsedTemplates.get(template);
  if (pieces !== undefined) return pieces;
  pieces = [];
  for (const piece of template.split(/(\{[^{}]*\})/)) {
    if (piece === '') continue;
    const token = /^\{contact\.([a-z_]+(?::label)?)\}$/.exec(piece);
    if (token) pieces.push({ kind: 'token', text: token[1] });
    else if (/^\{[^A-Za-z0-9{}]*\}$/.test(piece)) pieces.push({ kind: 'separator', text: piece.slice(1, -1) });
    else if (piece.startsWith('{') || piece.includes('}')) {
      pieces = null;
      break;
    } else pieces.push({ kind: 'text', text: piece });
  }
  if (parsedTemplates.size < 1000) parsedTemplates.set(template, pieces);
  return pieces;
}

/**
 * The presentation CiviCRM would give this contact: Individuals by the default formats (a
 * contact with no names by its primary email), Organizations and Households by their name,
 * greetings rendered from their templates (a custom greeting, or one whose template is not
 * known here, keeps its current display: `current`).
 */
export function presentationOf(contact: NamedContact, primaryEmail: string, conventions: CrmConventions, current: Presentation | null): Presentation {
  let display: string;
  let sort: string;
  if (contact.contactType === 'Organization' || contact.contactType === 'Household') {
    display = (contact.contactType === 'Organization' ? contact.organizationName : contact.householdName) ?? '';
    sort = display;
  } else {
    display = renderTemplate(DISPLAY_NAME_FORMAT, contact, conventions) ?? '';
    sort = renderTemplate(SORT_NAME_FORMAT, contact, conventions) ?? '';
  }
  const named = (text: string) => (text !== '' ? clip(text, NAME_COLUMN_MAX) : primaryEmail !== '' ? clip(primaryEmail, NAME_COLUMN_MAX) : null);
  const presentation: Presentation = {
    displayName: named(display),
    sortName: named(sort),
    emailGreetingDisplay: null,
    postalGreetingDisplay: null,
    addresseeDisplay: null,
  };
  for (const kind of GREETINGS) {
    const column = DISPLAY_COLUMNS[kind];
    const greeting = contact.greetings[kind];
    const template = greeting.custom === null && greeting.id !== null ? conventions.greetingTemplates[kind].get(greeting.id) : undefined;
    const rendered = template === undefined ? null : renderTemplate(template, contact, conventions);
    presentation[column] = rendered !== null ? clip(rendered, GREETING_MAX) : current ? current[column] : null;
  }
  return presentation;
}

/** The columns of a contact the bridge creates. */
export interface NewContact extends Presentation {
  contactType: ContactType;
  firstName: string | null;
  lastName: string | null;
  organizationName: string | null;
  householdName: string | null;
  greetingIds: Record<GreetingKind, number | null>;
  hash: string;
  source: string;
}

/**
 * A new contact for this user, as CiviCRM would create it: an Individual with the user's
 * names; an Organization or Household named by the user's email (never WordPress names); the
 * default greetings and addressee of its type; a random 32-hex hash.
 */
export function newContactFor(facts: UserFacts, contactType: ContactType, conventions: CrmConventions): NewContact {
  const individual = contactType === 'Individual';
  const defaults = conventions.greetingDefaults;
  const greetingIds: Record<GreetingKind, number | null> = {
    email_greeting: defaults.email_greeting[contactType] ?? null,
    postal_greeting: defaults.postal_greeting[contactType] ?? null,
    addressee: defaults.addressee[contactType] ?? null,
  };
  const greetings: ContactGreetings = {
    email_greeting: { id: greetingIds.email_greeting, custom: null, display: null },
    postal_greeting: { id: greetingIds.postal_greeting, custom: null, display: null },
    addressee: { id: greetingIds.addressee, custom: null, display: null },
  };
  const named: NamedContact = {
    contactType,
    firstName: individual && facts.firstName !== '' ? facts.firstName : null,
    middleName: null,
    lastName: individual && facts.lastName !== '' ? facts.lastName : null,
    prefixId: null,
    suffixId: null,
    organizationName: contactType === 'Organization' ? facts.email : null,
    householdName: contactType === 'Household' ? facts.email : null,
    greetings,
  };
  return {
    contactType,
    firstName: named.firstName,
    lastName: named.lastName,
    organizationName: named.organizationName,
    householdName: named.householdName,
    greetingIds,
    ...presentationOf(named, facts.email, conventions, null),
    hash: randomHash(),
    source: CONTACT_SOURCE,
  };
}

/**
 * A random 32-hex `hash`. The bytes come from the CSPRNG like randomBytes(16), but drawn from a
 * pooled buffer refilled every 256 hashes (one randomBytes call per contact cost the bulk sync
 * about 6 µs each).
 */
const HASH_BYTES = 16;
const hashPool = Buffer.alloc(HASH_BYTES * 256);
let hashOffset = hashPool.length;

function randomHash(): string {
  if (hashOffset >= hashPool.length) {
    randomFillSync(hashPool);
    hashOffset = 0;
  }
  const hex = hashPool.toString('hex', hashOffset, hashOffset + HASH_BYTES);
  hashOffset += HASH_BYTES;
  return hex;
}
