/**
 * Every reason an outcome can give, in one table: the planner, the bulk sync and the HTTP
 * answers all take their wording from here.
 */
export const REASONS = {
  noUserNoLink: 'user does not exist and has no link',
  userGone: 'user no longer exists; contact kept',
  userGoneTrashed: (contactId: number) => `user no longer exists; contact ${contactId} moved to the trash`,
  notMember: 'user is not a member of any site of this CRM domain',
  leftTheSites: 'user is no longer a member of any site of this CRM domain; contact kept',
  nothingToLink: 'user has no email and no first or last name',
  noEmailForNamedType: (contactType: string) => `user has no email; a new ${contactType} contact is named by it`,
  linkWithoutContact: 'link has no contact',
  contactTrashed: (contactId: number) => `linked contact ${contactId} is in the trash`,
  emailHeld: (email: string, holderUfId: number) => `email ${email} is already linked to user ${holderUfId}`,
  matchedPrimary: 'contact has this primary email',
  matchedOther: 'contact has this email (not primary)',
  createdFromEmail: 'no contact has this email',
  createdFromNames: 'user has no email; contact created from names',
  emailTooLong: (length: number, max: number) => `email is ${length} characters; civicrm_uf_match.uf_name holds ${max}`,
  nameTooLong: (field: 'first_name' | 'last_name', max: number) => `${field} is longer than ${max} characters`,
  /** An update: what changed, and which CRM edits WordPress's newer value replaced. */
  changed: (parts: readonly string[], overridden: readonly string[]) =>
    `${parts.join(', ')} changed` +
    (overridden.length > 0 ? `; ${overridden.join(', ')} also changed in the CRM, WordPress value applied` : ''),
} as const;
