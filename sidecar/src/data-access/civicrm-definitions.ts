/**
 * CiviCRM 6.x's definitions of the CRM tables the bridge creates when a database has none
 * (every column with its comment, every index, and the foreign keys among these tables), and
 * the base rows a fresh CiviCRM install puts in them. Written from CiviCRM's schema generator
 * output for 6.14 (5.82 differs only in comments). The test fixture encodes the same facts
 * separately (test/support/civicrm-schema.ts) and the tests compare the two.
 */

export interface ColumnDefinition {
  name: string;
  /** Everything after the column name, as in CREATE TABLE. */
  definition: string;
}

export interface IndexDefinition {
  name: string;
  /** Column names, with a prefix length where CiviCRM uses one: `value(128)`. */
  columns: string[];
  unique: boolean;
  /** One of the indexes a real install gets for a foreign key (see TableDefinition.indexes). */
  forForeignKey: boolean;
}

export interface ForeignKeyDefinition {
  column: string;
  references: { table: string; column: string };
  onDelete: 'CASCADE' | 'SET NULL' | 'RESTRICT';
  /** CiviCRM's name for it. The bridge never uses it (see bridgeConstraintName). */
  civicrmName: string;
}

export interface TableDefinition {
  name: string;
  columns: ColumnDefinition[];
  /**
   * CiviCRM's indexes, then the ones InnoDB creates on a real install when CiviCRM's
   * ALTER TABLE ... ADD CONSTRAINT finds no index for a foreign key column (named after the
   * constraint). Creating those up front gives the same indexes as a real install.
   */
  indexes: IndexDefinition[];
  foreignKeys: ForeignKeyDefinition[];
}

export const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC';

/**
 * MariaDB refuses ADD CONSTRAINT when a constraint of that name exists (errno 121), and CiviCRM's
 * installer adds its own under its names: the bridge's carry their own names, so that CiviCRM's
 * DDL still applies to tables the bridge created.
 */
export function bridgeConstraintName(table: string, column: string): string {
  return `FK_contact_bridge_${table.replace(/^civicrm_/, '')}_${column}`;
}

const col = (name: string, definition: string): ColumnDefinition => ({ name, definition });
const index = (name: string, ...columns: string[]): IndexDefinition => ({ name, columns, unique: false, forForeignKey: false });
const unique = (name: string, ...columns: string[]): IndexDefinition => ({ name, columns, unique: true, forForeignKey: false });
const keyIndex = (name: string, column: string): IndexDefinition => ({ name, columns: [column], unique: false, forForeignKey: true });
const fk = (
  table: string,
  column: string,
  references: string,
  onDelete: ForeignKeyDefinition['onDelete'],
): ForeignKeyDefinition => ({
  column,
  references: { table: references, column: 'id' },
  onDelete,
  civicrmName: `FK_${table}_${column}`,
});

const DOMAIN: TableDefinition = {
  name: 'civicrm_domain',
  columns: [
    col('id', "int unsigned NOT NULL AUTO_INCREMENT COMMENT 'Domain ID'"),
    col('name', "varchar(64) NULL COMMENT 'Name of Domain / Organization'"),
    col('description', "varchar(255) NULL COMMENT 'Description of Domain.'"),
    col('version', "varchar(32) NULL COMMENT 'The civicrm version this instance is running'"),
    col('contact_id', "int unsigned NULL COMMENT 'FK to Contact ID. This is specifically not an FK to avoid circular constraints'"),
    col('locales', "text NULL COMMENT 'list of locales supported by the current db state (NULL for single-lang install)'"),
    col('locale_custom_strings', "text NULL COMMENT 'Locale specific string overrides'"),
  ],
  indexes: [unique('UI_name', 'name'), keyIndex('FK_civicrm_domain_contact_id', 'contact_id')],
  foreignKeys: [fk('civicrm_domain', 'contact_id', 'civicrm_contact', 'RESTRICT')],
};

const CONTACT: TableDefinition = {
  name: 'civicrm_contact',
  columns: [
    col('id', "int unsigned NOT NULL AUTO_INCREMENT COMMENT 'Unique Contact ID'"),
    col('contact_type', "varchar(64) NULL COMMENT 'Type of Contact.'"),
    col('external_identifier', "varchar(64) NULL COMMENT 'Unique trusted external ID (generally from a legacy app/datasource). Particularly useful for deduping operations.'"),
    col('display_name', "varchar(128) NULL COMMENT 'Formatted name representing preferred format for display/print/other output.'"),
    col('organization_name', "varchar(128) NULL COMMENT 'Organization Name.'"),
    col('contact_sub_type', "varchar(255) NULL COMMENT 'May be used to over-ride contact view and edit templates.'"),
    col('first_name', "varchar(64) NULL COMMENT 'First Name.'"),
    col('middle_name', "varchar(64) NULL COMMENT 'Middle Name.'"),
    col('last_name', "varchar(64) NULL COMMENT 'Last Name.'"),
    col('do_not_email', 'boolean NOT NULL DEFAULT FALSE'),
    col('do_not_phone', 'boolean NOT NULL DEFAULT FALSE'),
    col('do_not_mail', 'boolean NOT NULL DEFAULT FALSE'),
    col('do_not_sms', 'boolean NOT NULL DEFAULT FALSE'),
    col('do_not_trade', 'boolean NOT NULL DEFAULT FALSE'),
    col('is_opt_out', "boolean NOT NULL DEFAULT FALSE COMMENT 'Has the contact opted out from receiving all bulk email from the organization or site domain?'"),
    col('legal_identifier', "varchar(32) NULL COMMENT 'May be used for SSN, EIN/TIN, Household ID (census) or other applicable unique legal/government ID.'"),
    col('sort_name', "varchar(128) NULL COMMENT 'Name used for sorting different contact types'"),
    col('nick_name', "varchar(128) NULL COMMENT 'Nickname.'"),
    col('legal_name', "varchar(128) NULL COMMENT 'Legal Name.'"),
    col('image_URL', "text NULL COMMENT 'optional URL for preferred image (photo, logo, etc.) to display for this contact.'"),
    col('preferred_communication_method', "varchar(255) NULL COMMENT 'What is the preferred mode of communication.'"),
    col('preferred_language', "varchar(5) NULL COMMENT 'Which language is preferred for communication. FK to languages in civicrm_option_value.'"),
    col('hash', "varchar(32) NULL COMMENT 'Key for validating requests related to this contact.'"),
    col('api_key', "varchar(32) NULL COMMENT 'API Key for validating requests related to this contact.'"),
    col('source', "varchar(255) NULL COMMENT 'where contact come from, e.g. import, donate module insert...'"),
    col('prefix_id', "int unsigned NULL COMMENT 'Prefix or Title for name (Ms, Mr...). FK to prefix ID'"),
    col('suffix_id', "int unsigned NULL COMMENT 'Suffix for name (Jr, Sr...). FK to suffix ID'"),
    col('formal_title', "varchar(64) NULL COMMENT 'Formal (academic or similar) title in front of name. (Prof., Dr. etc.)'"),
    col('communication_style_id', "int unsigned NULL COMMENT 'Communication style (e.g. formal vs. familiar) to use with this contact. FK to communication styles in civicrm_option_value.'"),
    col('email_greeting_id', "int unsigned NULL COMMENT 'FK to civicrm_option_value.value, that has to be valid registered Email Greeting.'"),
    col('email_greeting_custom', "varchar(128) NULL COMMENT 'Custom Email Greeting.'"),
    col('email_greeting_display', "varchar(255) NULL COMMENT 'Cache Email Greeting.'"),
    col('postal_greeting_id', "int unsigned NULL COMMENT 'FK to civicrm_option_value.value, that has to be valid registered Postal Greeting.'"),
    col('postal_greeting_custom', "varchar(128) NULL COMMENT 'Custom Postal greeting.'"),
    col('postal_greeting_display', "varchar(255) NULL COMMENT 'Cache Postal greeting.'"),
    col('addressee_id', "int unsigned NULL COMMENT 'FK to civicrm_option_value.value, that has to be valid registered Addressee.'"),
    col('addressee_custom', "varchar(128) NULL COMMENT 'Custom Addressee.'"),
    col('addressee_display', "varchar(255) NULL COMMENT 'Cache Addressee.'"),
    col('job_title', "varchar(255) NULL COMMENT 'Job Title'"),
    col('gender_id', "int unsigned NULL COMMENT 'FK to gender ID'"),
    col('birth_date', "date NULL COMMENT 'Date of birth'"),
    col('is_deceased', 'boolean NOT NULL DEFAULT FALSE'),
    col('deceased_date', "date NULL COMMENT 'Date deceased / closed'"),
    col('household_name', "varchar(128) NULL COMMENT 'Household Name.'"),
    col('primary_contact_id', "int unsigned NULL COMMENT 'Optional FK to Primary Contact for this household.'"),
    col('sic_code', "varchar(8) NULL COMMENT 'Standard Industry Classification Code.'"),
    col('user_unique_id', "varchar(255) NULL COMMENT 'Unused deprecated column.'"),
    col('employer_id', "int unsigned NULL COMMENT 'OPTIONAL FK to civicrm_contact record.'"),
    col('is_deleted', 'boolean NOT NULL DEFAULT FALSE'),
    col('created_date', "timestamp NULL DEFAULT NULL COMMENT 'When was the contact was created.'"),
    col('modified_date', "timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP COMMENT 'When was the contact (or closely related entity) was created or modified or deleted.'"),
    col('preferred_mail_format', "varchar(8) NULL DEFAULT 'Both' COMMENT 'Unused deprecated column.'"),
  ],
  indexes: [
    index('index_contact_type', 'contact_type'),
    unique('UI_external_identifier', 'external_identifier'),
    index('index_organization_name', 'organization_name'),
    index('index_contact_sub_type', 'contact_sub_type'),
    index('index_first_name', 'first_name'),
    index('index_last_name', 'last_name'),
    index('index_sort_name', 'sort_name'),
    index('index_preferred_communication_method', 'preferred_communication_method'),
    index('index_hash', 'hash'),
    index('index_api_key', 'api_key'),
    index('UI_prefix', 'prefix_id'),
    index('UI_suffix', 'suffix_id'),
    index('index_communication_style_id', 'communication_style_id'),
    index('UI_gender', 'gender_id'),
    index('index_is_deceased', 'is_deceased'),
    index('index_household_name', 'household_name'),
    index('index_is_deleted_sort_name', 'is_deleted', 'sort_name', 'id'),
    index('index_created_date', 'created_date'),
    index('index_modified_date', 'modified_date'),
    keyIndex('FK_civicrm_contact_primary_contact_id', 'primary_contact_id'),
    keyIndex('FK_civicrm_contact_employer_id', 'employer_id'),
  ],
  foreignKeys: [
    fk('civicrm_contact', 'primary_contact_id', 'civicrm_contact', 'SET NULL'),
    fk('civicrm_contact', 'employer_id', 'civicrm_contact', 'SET NULL'),
  ],
};

const EMAIL: TableDefinition = {
  name: 'civicrm_email',
  columns: [
    col('id', "int unsigned NOT NULL AUTO_INCREMENT COMMENT 'Unique Email ID'"),
    col('contact_id', "int unsigned NULL COMMENT 'FK to Contact ID'"),
    col('location_type_id', "int unsigned NULL COMMENT 'Which Location does this email belong to.'"),
    col('email', "varchar(254) NULL COMMENT 'Email address'"),
    col('is_primary', "boolean NOT NULL DEFAULT FALSE COMMENT 'Is this the primary email address'"),
    col('is_billing', "boolean NOT NULL DEFAULT FALSE COMMENT 'Is this the billing?'"),
    col('on_hold', "int unsigned NOT NULL DEFAULT 0 COMMENT 'Implicit FK to civicrm_option_value where option_group = email_on_hold.'"),
    col('is_bulkmail', "boolean NOT NULL DEFAULT FALSE COMMENT 'Is this address for bulk mail ?'"),
    col('hold_date', "datetime NULL COMMENT 'When the address went on bounce hold'"),
    col('reset_date', "datetime NULL COMMENT 'When the address bounce status was last reset'"),
    col('signature_text', "text NULL DEFAULT NULL COMMENT 'Text formatted signature for the email.'"),
    col('signature_html', "text NULL DEFAULT NULL COMMENT 'HTML formatted signature for the email.'"),
  ],
  indexes: [
    index('index_location_type', 'location_type_id'),
    index('UI_email', 'email'),
    index('index_is_primary', 'is_primary'),
    index('index_is_billing', 'is_billing'),
    keyIndex('FK_civicrm_email_contact_id', 'contact_id'),
  ],
  foreignKeys: [fk('civicrm_email', 'contact_id', 'civicrm_contact', 'CASCADE')],
};

const UF_MATCH: TableDefinition = {
  name: 'civicrm_uf_match',
  columns: [
    col('id', "int unsigned NOT NULL AUTO_INCREMENT COMMENT 'System generated ID.'"),
    col('domain_id', "int unsigned NOT NULL COMMENT 'Which Domain is this match entry for'"),
    col('uf_id', "int unsigned NOT NULL COMMENT 'UF ID'"),
    col('uf_name', "varchar(128) NULL COMMENT 'UF Name'"),
    col('contact_id', "int unsigned NULL COMMENT 'FK to Contact ID'"),
    col('language', "varchar(5) NULL COMMENT 'UI language preferred by the given user/contact'"),
  ],
  indexes: [
    index('I_civicrm_uf_match_uf_id', 'uf_id'),
    // Not unique since CiviCRM 5.69; the per-user state row keeps one user's events in order.
    index('UI_uf_match_uf_id_domain_id', 'uf_id', 'domain_id'),
    unique('UI_uf_name_domain_id', 'uf_name', 'domain_id'),
    unique('UI_contact_domain_id', 'contact_id', 'domain_id'),
    keyIndex('FK_civicrm_uf_match_domain_id', 'domain_id'),
  ],
  foreignKeys: [
    fk('civicrm_uf_match', 'domain_id', 'civicrm_domain', 'RESTRICT'),
    fk('civicrm_uf_match', 'contact_id', 'civicrm_contact', 'CASCADE'),
  ],
};

const LOCATION_TYPE: TableDefinition = {
  name: 'civicrm_location_type',
  columns: [
    col('id', "int unsigned NOT NULL AUTO_INCREMENT COMMENT 'Location Type ID'"),
    col('name', "varchar(64) NOT NULL COMMENT 'Location Type Name.'"),
    col('display_name', "varchar(64) NOT NULL COMMENT 'Location Type Display Name.'"),
    col('vcard_name', "varchar(64) NULL COMMENT 'vCard Location Type Name.'"),
    col('description', "varchar(255) NULL COMMENT 'Location Type Description.'"),
    col('is_reserved', "boolean NOT NULL DEFAULT FALSE COMMENT 'Is this location type a predefined system location?'"),
    col('is_active', "boolean NOT NULL DEFAULT TRUE COMMENT 'Is this property active?'"),
    col('is_default', "boolean NOT NULL DEFAULT FALSE COMMENT 'Is this location type the default?'"),
  ],
  indexes: [unique('UI_name', 'name')],
  foreignKeys: [],
};

const CONTACT_TYPE: TableDefinition = {
  name: 'civicrm_contact_type',
  columns: [
    col('id', "int unsigned NOT NULL AUTO_INCREMENT COMMENT 'Contact Type ID'"),
    col('name', "varchar(64) NOT NULL COMMENT 'Internal name of Contact Type (or Subtype).'"),
    col('label', "varchar(64) NULL COMMENT 'localized Name of Contact Type.'"),
    col('description', "text NULL COMMENT 'localized Optional verbose description of the type.'"),
    col('image_URL', "varchar(255) NULL COMMENT 'URL of image if any.'"),
    col('icon', "varchar(255) NULL DEFAULT NULL COMMENT 'crm-i icon class representing this contact type'"),
    col('parent_id', "int unsigned NULL COMMENT 'Optional FK to parent contact type.'"),
    col('is_active', "boolean NOT NULL DEFAULT TRUE COMMENT 'Is this entry active?'"),
    col('is_reserved', "boolean NOT NULL DEFAULT FALSE COMMENT 'Is this contact type a predefined system type'"),
  ],
  indexes: [unique('contact_type', 'name'), keyIndex('FK_civicrm_contact_type_parent_id', 'parent_id')],
  foreignKeys: [fk('civicrm_contact_type', 'parent_id', 'civicrm_contact_type', 'RESTRICT')],
};

const OPTION_GROUP: TableDefinition = {
  name: 'civicrm_option_group',
  columns: [
    col('id', "int unsigned NOT NULL AUTO_INCREMENT COMMENT 'Option Group ID'"),
    col('name', "varchar(64) NOT NULL COMMENT 'Option group name. Used as selection key by class properties which lookup options in civicrm_option_value.'"),
    col('title', "varchar(255) NULL COMMENT 'Option Group title.'"),
    col('description', "text NULL COMMENT 'Option group description.'"),
    col('data_type', "varchar(128) NULL COMMENT 'Type of data stored by this option group.'"),
    col('is_reserved', "boolean NOT NULL DEFAULT TRUE COMMENT 'Is this a predefined system option group (i.e. it can not be deleted)?'"),
    col('is_active', "boolean NOT NULL DEFAULT TRUE COMMENT 'Is this option group active?'"),
    col('is_locked', "boolean NOT NULL DEFAULT FALSE COMMENT 'A lock to remove the ability to add new options via the UI.'"),
    col('option_value_fields', "varchar(128) NULL DEFAULT 'name,label,description' COMMENT 'Which optional columns from the option_value table are in use by this group.'"),
  ],
  indexes: [unique('UI_name', 'name')],
  foreignKeys: [],
};

const OPTION_VALUE: TableDefinition = {
  name: 'civicrm_option_value',
  columns: [
    col('id', "int unsigned NOT NULL AUTO_INCREMENT COMMENT 'Option ID'"),
    col('option_group_id', "int unsigned NOT NULL COMMENT 'Group which this option belongs to.'"),
    col('label', "varchar(512) NOT NULL COMMENT 'Option string as displayed to users - e.g. the label in an HTML OPTION tag.'"),
    col('value', "varchar(512) NOT NULL COMMENT 'The actual value stored (as a foreign key) in the data record. Functions which need lookup option_value.title should use civicrm_option_value.option_group_id plus civicrm_option_value.value as the key.'"),
    col('name', "varchar(255) NULL COMMENT 'Stores a fixed (non-translated) name for this option value. Lookup functions should use the name as the key for the option value row.'"),
    col('grouping', "varchar(255) NULL COMMENT 'Use to sort and/or set display properties for sub-set(s) of options within an option group. EXAMPLE: Use for college_interest field, to differentiate partners from non-partners.'"),
    col('filter', "int unsigned NULL DEFAULT 0 COMMENT 'Bitwise logic can be used to create subsets of options within an option_group for different uses.'"),
    col('is_default', "boolean NULL DEFAULT FALSE COMMENT 'Is this the default option for the group?'"),
    col('weight', "int unsigned NOT NULL COMMENT 'Controls display sort order.'"),
    col('description', "text NULL COMMENT 'Optional description.'"),
    col('is_optgroup', "boolean NULL DEFAULT FALSE COMMENT 'Is this row simply a display header? Expected usage is to render these as OPTGROUP tags within a SELECT field list of options?'"),
    col('is_reserved', "boolean NULL DEFAULT FALSE COMMENT 'Is this a predefined system object?'"),
    col('is_active', "boolean NULL DEFAULT TRUE COMMENT 'Is this option active?'"),
    col('component_id', "int unsigned NULL COMMENT 'Component that this option value belongs/caters to.'"),
    col('domain_id', "int unsigned NULL COMMENT 'Unused deprecated column.'"),
    col('visibility_id', 'int unsigned NULL DEFAULT NULL'),
    col('icon', "varchar(255) NULL DEFAULT NULL COMMENT 'crm-i icon class'"),
    col('color', "varchar(255) NULL DEFAULT NULL COMMENT 'Hex color value e.g. #ffffff'"),
  ],
  indexes: [
    index('index_option_group_id_value', 'value(128)', 'option_group_id'),
    index('index_option_group_id_name', 'name(128)', 'option_group_id'),
    keyIndex('FK_civicrm_option_value_option_group_id', 'option_group_id'),
    keyIndex('FK_civicrm_option_value_component_id', 'component_id'),
    keyIndex('FK_civicrm_option_value_domain_id', 'domain_id'),
  ],
  // CiviCRM also has component_id -> civicrm_component, a table the bridge does not create.
  foreignKeys: [
    fk('civicrm_option_value', 'option_group_id', 'civicrm_option_group', 'CASCADE'),
    fk('civicrm_option_value', 'domain_id', 'civicrm_domain', 'RESTRICT'),
  ],
};

/** In creation order: a table's foreign keys point only to itself or to tables before it. */
export const CIVICRM_TABLES: readonly TableDefinition[] = [
  CONTACT,
  DOMAIN,
  EMAIL,
  UF_MATCH,
  LOCATION_TYPE,
  CONTACT_TYPE,
  OPTION_GROUP,
  OPTION_VALUE,
];

/**
 * The columns of the partial tables the bridge's first release created (sql/001_crm_tables.sql),
 * none with a comment. CiviCRM comments nearly every column, so a table with only these columns and no
 * comment is one the bridge created.
 */
export const FIRST_RELEASE_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  civicrm_domain: ['id', 'name', 'description', 'version', 'contact_id', 'locales', 'locale_custom_strings'],
  civicrm_contact: [
    'id', 'contact_type', 'contact_sub_type', 'do_not_email', 'do_not_phone', 'do_not_mail', 'do_not_sms',
    'do_not_trade', 'is_opt_out', 'sort_name', 'display_name', 'hash', 'source', 'first_name', 'middle_name',
    'last_name', 'organization_name', 'household_name', 'is_deleted', 'created_date', 'modified_date',
  ],
  civicrm_email: [
    'id', 'contact_id', 'location_type_id', 'email', 'is_primary', 'is_billing', 'on_hold', 'is_bulkmail',
    'hold_date', 'reset_date',
  ],
  civicrm_uf_match: ['id', 'domain_id', 'uf_id', 'uf_name', 'contact_id', 'language'],
};

// ---- Base rows of a fresh CiviCRM install, for the tables the bridge creates ----

export interface LocationTypeRow {
  name: string;
  displayName: string;
  vcardName: string | null;
  description: string;
  isReserved: boolean;
  isDefault: boolean;
}

export const LOCATION_TYPES: readonly LocationTypeRow[] = [
  { name: 'Home', displayName: 'Home', vcardName: 'HOME', description: 'Place of residence', isReserved: false, isDefault: true },
  { name: 'Work', displayName: 'Work', vcardName: 'WORK', description: 'Work location', isReserved: false, isDefault: false },
  { name: 'Main', displayName: 'Main', vcardName: null, description: 'Main office location', isReserved: false, isDefault: false },
  { name: 'Other', displayName: 'Other', vcardName: null, description: 'Other location', isReserved: false, isDefault: false },
  { name: 'Billing', displayName: 'Billing', vcardName: null, description: 'Billing Address location', isReserved: true, isDefault: false },
];

export const CONTACT_TYPES: ReadonlyArray<{ id: number; name: string; icon: string }> = [
  { id: 1, name: 'Individual', icon: 'fa-user' },
  { id: 2, name: 'Household', icon: 'fa-home' },
  { id: 3, name: 'Organization', icon: 'fa-building' },
];

export interface OptionValueRow {
  value: number;
  /** CiviCRM's label and name (the same text for these groups). */
  label: string;
  /** Contact type the value applies to: 1 Individual, 2 Household, 3 Organization, 0 any. */
  filter: number;
  isDefault: boolean;
  isReserved: boolean;
}

export interface OptionGroupRows {
  name: string;
  title: string;
  description: string | null;
  values: OptionValueRow[];
}

const v = (value: number, label: string, filter = 0, isDefault = false, isReserved = false): OptionValueRow => ({
  value,
  label,
  filter,
  isDefault,
  isReserved,
});

const greetings = (): OptionValueRow[] => [
  v(1, 'Dear {contact.first_name}', 1, true),
  v(2, 'Dear {contact.prefix_id:label} {contact.first_name} {contact.last_name}', 1),
  v(3, 'Dear {contact.prefix_id:label} {contact.last_name}', 1),
  v(4, 'Customized', 0, false, true),
  v(5, 'Dear {contact.household_name}', 2, true),
];

/** Weight is the position in the group (1, 2, …), as CiviCRM's install data gives it. */
export const OPTION_GROUPS: readonly OptionGroupRows[] = [
  {
    name: 'individual_prefix',
    title: 'Individual contact prefixes',
    description:
      'CiviCRM is pre-configured with standard options for individual contact prefixes (Ms., Mr., Dr. etc.). Customize these options and add new ones as needed for your installation.',
    values: [v(1, 'Mrs.'), v(2, 'Ms.'), v(3, 'Mr.'), v(4, 'Dr.')],
  },
  {
    name: 'individual_suffix',
    title: 'Individual contact suffixes',
    description:
      'CiviCRM is pre-configured with standard options for individual contact name suffixes (Jr., Sr., II etc.). Customize these options and add new ones as needed for your installation.',
    values: [v(1, 'Jr.'), v(2, 'Sr.'), v(3, 'II'), v(4, 'III'), v(5, 'IV'), v(6, 'V'), v(7, 'VI'), v(8, 'VII')],
  },
  { name: 'email_greeting', title: 'Email Greeting Type', description: null, values: greetings() },
  { name: 'postal_greeting', title: 'Postal Greeting Type', description: null, values: greetings() },
  {
    name: 'addressee',
    title: 'Addressee Type',
    description: null,
    values: [
      v(1, '{contact.prefix_id:label}{ }{contact.first_name}{ }{contact.middle_name}{ }{contact.last_name}{ }{contact.suffix_id:label}', 1, true),
      v(2, '{contact.household_name}', 2, true),
      v(3, '{contact.organization_name}', 3, true),
      v(4, 'Customized', 0, false, true),
    ],
  },
];
