/** A user as the rules see it, and what makes a user unusable. */
import type { WpUser } from '../model';
import { normaliseEmail } from '../normalise-email';
import { REASONS } from '../reasons';

/** civicrm_uf_match.uf_name and civicrm_contact.first_name/last_name widths. */
export const UF_NAME_MAX = 128;
export const NAME_MAX = 64;

/** Normalised email ('' when none) and trimmed names ('' when none). */
export interface UserFacts {
  id: number;
  email: string;
  firstName: string;
  lastName: string;
}

export function userFacts(user: WpUser): UserFacts {
  return { id: user.id, email: normaliseEmail(user.email), firstName: user.firstName.trim(), lastName: user.lastName.trim() };
}

/** Characters (code points), as the columns count them; a short text needs no count. */
function characters(text: string): number {
  return text.length <= NAME_MAX ? text.length : [...text].length;
}

/** Why this user's values do not fit the CRM's columns, or null when they fit. */
export function storageProblem(facts: UserFacts): string | null {
  if (facts.email.length > UF_NAME_MAX) return REASONS.emailTooLong(facts.email.length, UF_NAME_MAX);
  if (characters(facts.firstName) > NAME_MAX) return REASONS.nameTooLong('first_name', NAME_MAX);
  if (characters(facts.lastName) > NAME_MAX) return REASONS.nameTooLong('last_name', NAME_MAX);
  return null;
}

/** A user with no usable email and no names gives nothing to create a contact from. */
export function hasNothingToLink(facts: UserFacts): boolean {
  return facts.email === '' && facts.firstName === '' && facts.lastName === '';
}
