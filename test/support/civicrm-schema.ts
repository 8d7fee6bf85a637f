/**
 * A CiviCRM database as CiviCRM's installer leaves it, for the tables the bridge touches:
 * CiviCRM 6.14's entity definitions (written from its schema generator output; 5.82 differs
 * only in comments), turned into SQL the way its generator does it (CREATE TABLE IF NOT EXISTS,
 * then ALTER TABLE … ADD CONSTRAINT under CiviCRM's names), its timestamp triggers, and the base
 * rows of a fresh install. Written separately from the bridge's own copy
 * (sidecar/src/data-access/civicrm-definitions.ts) so that tests comparing them mean something.
 */
import type { Pool, ResultSetHeader } from 'mysql2/promise';

interface Field {
  type: string;
  required?: boolean;
  autoIncrement?: boolean;
  /** SQL literal, e.g. `FALSE`, `'Both'`, `CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP`. */
  default?: string;
  comment?: string;
}

interface Entity {
  table: string;
  fields: Record<string, Field>;
  /** Index name -> columns (`name(128)` for a prefix). */
  indices: Record<string, { columns: string[]; unique?: boolean }>;
  /** Column -> referenced table (its `id`), as CiviCRM's entity_reference. */
  references: Record<string, { table: string; onDelete?: 'CASCADE' | 'SET NULL' }>;
}

const int = (comment?: string, extra: Partial<Field> = {}): Field => ({ type: 'int unsigned', comment, ...extra });
const str = (length: number, comment?: string, extra: Partial<Field> = {}): Field => ({ type: `varchar(${length})`, comment, ...extra });
const text = (comment?: string, extra: Partial<Field> = {}): Field => ({ type: 'text', comment, ...extra });
const bool = (defaultValue: boolean, comment?: string, required = true): Field => ({
  type: 'boolean',
  required,
  default: defaultValue ? 'TRUE' : 'FALSE',
  comment,
});
const pk = (comment: string): Field => ({ type: 'int unsigned', required: true, autoIncrement: true, comment });

const DOMAIN: Entity = {
  table: 'civicrm_domain',
  fields: {
    id: pk('Domain ID'),
    name: str(64, 'Name of Domain / Organization'),
    description: str(255, 'Description of Domain.'),
    version: str(32, 'The civicrm version this instance is running'),
    contact_id: int('FK to Contact ID. This is specifically not an FK to avoid circular constraints'),
    locales: text('list of locales supported by the current db state (NULL for single-lang install)'),
    locale_custom_strings: text('Locale specific string overrides'),
  },
  indices: { UI_name: { columns: ['name'], unique: true } },
  references: { contact_id: { table: 'civicrm_contact' } },
};

const CONTACT: Entity = {
  table: 'civicrm_contact',
  fields: {
    id: pk('Unique Contact ID'),
    contact_type: str(64, 'Type of Contact.'),
    external_identifier: str(64, 'Unique trusted external ID (generally from a legacy app/datasource). Particularly useful for deduping operations.'),
    display_name: str(128, 'Formatted name representing preferred format for display/print/other output.'),
    organization_name: str(128, 'Organization Name.'),
    contact_sub_type: str(255, 'May be used to over-ride contact view and edit templates.'),
    first_name: str(64, 'First Name.'),
    middle_name: str(64, 'Middle Name.'),
    last_name: str(64, 'Last Name.'),
    do_not_email: bool(false),
    do_not_phone: bool(false),
    do_not_mail: bool(false),
    do_not_sms: bool(false),
    do_not_trade: bool(false),
    is_opt_out: bool(false, 'Has the contact opted out from receiving all bulk email from the organization or site domain?'),
    legal_identifier: str(32, 'May be used for SSN, EIN/TIN, Household ID (census) or other applicable unique legal/government ID.'),
    sort_name: str(128, 'Name used for sorting different contact types'),
    nick_name: str(128, 'Nickname.'),
    legal_name: str(128, 'Legal Name.'),
    image_URL: text('optional URL for preferred image (photo, logo, etc.) to display for this contact.'),
    preferred_communication_method: str(255, 'What is the preferred mode of communication.'),
    preferred_language: str(5, 'Which language is preferred for communication. FK to languages in civicrm_option_value.'),
    hash: str(32, 'Key for validating requests related to this contact.'),
    api_key: str(32, 'API Key for validating requests related to this contact.'),
    source: str(255, 'where contact come from, e.g. import, donate module insert...'),
    prefix_id: int('Prefix or Title for name (Ms, Mr...). FK to prefix ID'),
    suffix_id: int('Suffix for name (Jr, Sr...). FK to suffix ID'),
    formal_title: str(64, 'Formal (academic or similar) title in front of name. (Prof., Dr. etc.)'),
    communication_style_id: int('Communication style (e.g. formal vs. familiar) to use with this contact. FK to communication styles in civicrm_option_value.'),
    email_greeting_id: int('FK to civicrm_option_value.value, that has to be valid registered Email Greeting.'),
    email_greeting_custom: str(128, 'Custom Email Greeting.'),
    email_greeting_display: str(255, 'Cache Email Greeting.'),
    postal_greeting_id: int('FK to civicrm_option_value.value, that has to be valid registered Postal Greeting.'),
    postal_greeting_custom: str(128, 'Custom Postal greeting.'),
    postal_greeting_display: str(255, 'Cache Postal greeting.'),
    addressee_id: int('FK to civicrm_option_value.value, that has to be valid registered Addressee.'),
    addressee_custom: str(128, 'Custom Addressee.'),
    addressee_display: str(255, 'Cache Addressee.'),
    job_title: str(255, 'Job Title'),
    gender_id: int('FK to gender ID'),
    birth_date: { type: 'date', comment: 'Date of birth' },
    is_deceased: bool(false),
    deceased_date: { type: 'date', comment: 'Date deceased / closed' },
    household_name: str(128, 'Household Name.'),
    primary_contact_id: int('Optional FK to Primary Contact for this household.'),
    sic_code: str(8, 'Standard Industry Classification Code.'),
    user_unique_id: str(255, 'Unused deprecated column.'),
    employer_id: int('OPTIONAL FK to civicrm_contact record.'),
    is_deleted: bool(false),
    created_date: { type: 'timestamp', default: 'NULL', comment: 'When was the contact was created.' },
    modified_date: {
      type: 'timestamp',
      default: 'CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP',
      comment: 'When was the contact (or closely related entity) was created or modified or deleted.',
    },
    preferred_mail_format: str(8, 'Unused deprecated column.', { default: "'Both'" }),
  },
  indices: {
    index_contact_type: { columns: ['contact_type'] },
    UI_external_identifier: { columns: ['external_identifier'], unique: true },
    index_organization_name: { columns: ['organization_name'] },
    index_contact_sub_type: { columns: ['contact_sub_type'] },
    index_first_name: { columns: ['first_name'] },
    index_last_name: { columns: ['last_name'] },
    index_sort_name: { columns: ['sort_name'] },
    index_preferred_communication_method: { columns: ['preferred_communication_method'] },
    index_hash: { columns: ['hash'] },
    index_api_key: { columns: ['api_key'] },
    UI_prefix: { columns: ['prefix_id'] },
    UI_suffix: { columns: ['suffix_id'] },
    index_communication_style_id: { columns: ['communication_style_id'] },
    UI_gender: { columns: ['gender_id'] },
    index_is_deceased: { columns: ['is_deceased'] },
    index_household_name: { columns: ['household_name'] },
    index_is_deleted_sort_name: { columns: ['is_deleted', 'sort_name', 'id'] },
    index_created_date: { columns: ['created_date'] },
    index_modified_date: { columns: ['modified_date'] },
  },
  references: {
    primary_contact_id: { table: 'civicrm_contact', onDelete: 'SET NULL' },
    employer_id: { table: 'civicrm_contact', onDelete: 'SET NULL' },
  },
};

const EMAIL: Entity = {
  table: 'civicrm_email',
  fields: {
    id: pk('Unique Email ID'),
    contact_id: int('FK to Contact ID'),
    location_type_id: int('Which Location does this email belong to.'),
    email: str(254, 'Email address'),
    is_primary: bool(false, 'Is this the primary email address'),
    is_billing: bool(false, 'Is this the billing?'),
    on_hold: int('Implicit FK to civicrm_option_value where option_group = email_on_hold.', { required: true, default: '0' }),
    is_bulkmail: bool(false, 'Is this address for bulk mail ?'),
    hold_date: { type: 'datetime', comment: 'When the address went on bounce hold' },
    reset_date: { type: 'datetime', comment: 'When the address bounce status was last reset' },
    signature_text: text('Text formatted signature for the email.', { default: 'NULL' }),
    signature_html: text('HTML formatted signature for the email.', { default: 'NULL' }),
  },
  indices: {
    index_location_type: { columns: ['location_type_id'] },
    UI_email: { columns: ['email'] },
    index_is_primary: { columns: ['is_primary'] },
    index_is_billing: { columns: ['is_billing'] },
  },
  references: { contact_id: { table: 'civicrm_contact', onDelete: 'CASCADE' } },
};

function ufMatch(ufIdUnique: boolean): Entity {
  return {
    table: 'civicrm_uf_match',
    fields: {
      id: pk('System generated ID.'),
      domain_id: int('Which Domain is this match entry for', { required: true }),
      uf_id: int('UF ID', { required: true }),
      uf_name: str(128, 'UF Name'),
      contact_id: int('FK to Contact ID'),
      language: str(5, 'UI language preferred by the given user/contact'),
    },
    indices: {
      I_civicrm_uf_match_uf_id: { columns: ['uf_id'] },
      UI_uf_match_uf_id_domain_id: { columns: ['uf_id', 'domain_id'], unique: ufIdUnique },
      UI_uf_name_domain_id: { columns: ['uf_name', 'domain_id'], unique: true },
      UI_contact_domain_id: { columns: ['contact_id', 'domain_id'], unique: true },
    },
    references: {
      domain_id: { table: 'civicrm_domain' },
      contact_id: { table: 'civicrm_contact', onDelete: 'CASCADE' },
    },
  };
}

const LOCATION_TYPE: Entity = {
  table: 'civicrm_location_type',
  fields: {
    id: pk('Location Type ID'),
    name: str(64, 'Location Type Name.', { required: true }),
    display_name: str(64, 'Location Type Display Name.', { required: true }),
    vcard_name: str(64, 'vCard Location Type Name.'),
    description: str(255, 'Location Type Description.'),
    is_reserved: bool(false, 'Is this location type a predefined system location?'),
    is_active: bool(true, 'Is this property active?'),
    is_default: bool(false, 'Is this location type the default?'),
  },
  indices: { UI_name: { columns: ['name'], unique: true } },
  references: {},
};

const CONTACT_TYPE: Entity = {
  table: 'civicrm_contact_type',
  fields: {
    id: pk('Contact Type ID'),
    name: str(64, 'Internal name of Contact Type (or Subtype).', { required: true }),
    label: str(64, 'localized Name of Contact Type.'),
    description: text('localized Optional verbose description of the type.'),
    image_URL: str(255, 'URL of image if any.'),
    icon: str(255, 'crm-i icon class representing this contact type', { default: 'NULL' }),
    parent_id: int('Optional FK to parent contact type.'),
    is_active: bool(true, 'Is this entry active?'),
    is_reserved: bool(false, 'Is this contact type a predefined system type'),
  },
  indices: { contact_type: { columns: ['name'], unique: true } },
  references: { parent_id: { table: 'civicrm_contact_type' } },
};

const OPTION_GROUP: Entity = {
  table: 'civicrm_option_group',
  fields: {
    id: pk('Option Group ID'),
    name: str(64, 'Option group name. Used as selection key by class properties which lookup options in civicrm_option_value.', { required: true }),
    title: str(255, 'Option Group title.'),
    description: text('Option group description.'),
    data_type: str(128, 'Type of data stored by this option group.'),
    is_reserved: bool(true, 'Is this a predefined system option group (i.e. it can not be deleted)?'),
    is_active: bool(true, 'Is this option group active?'),
    is_locked: bool(false, 'A lock to remove the ability to add new options via the UI.'),
    option_value_fields: str(128, 'Which optional columns from the option_value table are in use by this group.', {
      default: "'name,label,description'",
    }),
  },
  indices: { UI_name: { columns: ['name'], unique: true } },
  references: {},
};

const OPTION_VALUE: Entity = {
  table: 'civicrm_option_value',
  fields: {
    id: pk('Option ID'),
    option_group_id: int('Group which this option belongs to.', { required: true }),
    label: str(512, 'Option string as displayed to users - e.g. the label in an HTML OPTION tag.', { required: true }),
    value: str(
      512,
      'The actual value stored (as a foreign key) in the data record. Functions which need lookup option_value.title should use civicrm_option_value.option_group_id plus civicrm_option_value.value as the key.',
      { required: true },
    ),
    name: str(255, 'Stores a fixed (non-translated) name for this option value. Lookup functions should use the name as the key for the option value row.'),
    grouping: str(
      255,
      'Use to sort and/or set display properties for sub-set(s) of options within an option group. EXAMPLE: Use for college_interest field, to differentiate partners from non-partners.',
    ),
    filter: int('Bitwise logic can be used to create subsets of options within an option_group for different uses.', { default: '0' }),
    // These four booleans are nullable in CiviCRM's definition.
    is_default: bool(false, 'Is this the default option for the group?', false),
    weight: int('Controls display sort order.', { required: true }),
    description: text('Optional description.'),
    is_optgroup: bool(false, 'Is this row simply a display header? Expected usage is to render these as OPTGROUP tags within a SELECT field list of options?', false),
    is_reserved: bool(false, 'Is this a predefined system object?', false),
    is_active: bool(true, 'Is this option active?', false),
    component_id: int('Component that this option value belongs/caters to.'),
    domain_id: int('Unused deprecated column.'),
    visibility_id: int(undefined, { default: 'NULL' }),
    icon: str(255, 'crm-i icon class', { default: 'NULL' }),
    color: str(255, 'Hex color value e.g. #ffffff', { default: 'NULL' }),
  },
  indices: {
    index_option_group_id_value: { columns: ['value(128)', 'option_group_id'] },
    index_option_group_id_name: { columns: ['name(128)', 'option_group_id'] },
  },
  references: {
    option_group_id: { table: 'civicrm_option_group', onDelete: 'CASCADE' },
    component_id: { table: 'civicrm_component' },
    domain_id: { table: 'civicrm_domain' },
  },
};

/** Referenced by civicrm_option_value; part of CiviCRM's DDL, not a table the bridge uses. */
const COMPONENT: Entity = {
  table: 'civicrm_component',
  fields: {
    id: pk('Component ID'),
    name: str(64, 'Name of the component.', { required: true }),
    namespace: str(128, 'Path to components main directory in a form of a class namespace.'),
  },
  indices: {},
  references: {},
};

const quote = (name: string): string => `\`${name}\``;
const escape = (text: string): string => text.replace(/\\/g, '\\\\').replace(/'/g, "\\'");

function createTableSql(entity: Entity): string {
  const lines = Object.entries(entity.fields).map(([name, f]) => {
    let sql = `${quote(name)} ${f.type} ${f.required ? 'NOT NULL' : 'NULL'}`;
    if (f.autoIncrement) sql += ' AUTO_INCREMENT';
    if (f.default !== undefined) sql += ` DEFAULT ${f.default}`;
    if (f.comment) sql += ` COMMENT '${escape(f.comment)}'`;
    return sql;
  });
  lines.push('PRIMARY KEY (`id`)');
  for (const [name, index] of Object.entries(entity.indices)) {
    const columns = index.columns.map((c) => c.replace(/^(\w+)/, '`$1`')).join(', ');
    lines.push(`${index.unique ? 'UNIQUE ' : ''}INDEX ${quote(name)}(${columns})`);
  }
  return (
    `CREATE TABLE IF NOT EXISTS ${quote(entity.table)} (\n  ${lines.join(',\n  ')}\n)\n` +
    'ENGINE=InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC'
  );
}

function constraintsSql(entity: Entity): string | null {
  const parts = Object.entries(entity.references).map(
    ([column, ref]) =>
      `ADD CONSTRAINT ${quote(`FK_${entity.table}_${column}`)} FOREIGN KEY (${quote(column)}) ` +
      `REFERENCES ${quote(ref.table)}(\`id\`)${ref.onDelete ? ` ON DELETE ${ref.onDelete}` : ''}`,
  );
  return parts.length ? `ALTER TABLE ${quote(entity.table)}\n  ${parts.join(',\n  ')}` : null;
}

/** The triggers CiviCRM installs on these tables (timestamps of the contact). */
export const CIVICRM_TRIGGERS: readonly string[] = [
  'CREATE TRIGGER civicrm_contact_before_insert before insert ON civicrm_contact FOR EACH ROW BEGIN  SET NEW.created_date = CURRENT_TIMESTAMP;\n END',
  'CREATE TRIGGER civicrm_email_after_insert after insert ON civicrm_email FOR EACH ROW BEGIN  UPDATE civicrm_contact SET modified_date = CURRENT_TIMESTAMP WHERE id = NEW.contact_id; END',
  'CREATE TRIGGER civicrm_email_after_update after update ON civicrm_email FOR EACH ROW BEGIN  UPDATE civicrm_contact SET modified_date = CURRENT_TIMESTAMP WHERE id = NEW.contact_id; END',
  'CREATE TRIGGER civicrm_email_after_delete after delete ON civicrm_email FOR EACH ROW BEGIN  UPDATE civicrm_contact SET modified_date = CURRENT_TIMESTAMP WHERE id = OLD.contact_id; END',
];

export interface CiviCrmVariant {
  /** Before 5.69 (and on some upgraded sites) UI_uf_match_uf_id_domain_id is unique. */
  ufIdUnique: boolean;
  /** The location type with is_default = 1 (a fresh install: Home). */
  defaultLocationType: 'Home' | 'Work' | 'Main' | 'Other';
  /** Two links for one user in domain 1 (possible where the index is not unique). */
  duplicateUserLinks: boolean;
}

export const CIVICRM_6_14: CiviCrmVariant = { ufIdUnique: false, defaultLocationType: 'Home', duplicateUserLinks: false };

/** The WordPress user id the duplicate links of `duplicateUserLinks` belong to. */
export const DUPLICATE_LINKED_USER = 990001;

/** Every table of the fixture, in creation order. */
export function civicrmEntities(variant: CiviCrmVariant = CIVICRM_6_14): Entity[] {
  return [COMPONENT, DOMAIN, CONTACT, EMAIL, ufMatch(variant.ufIdUnique), LOCATION_TYPE, CONTACT_TYPE, OPTION_GROUP, OPTION_VALUE];
}

/** The tables of civicrm_* the bridge reads or writes (the fixture also has civicrm_component). */
export const CIVICRM_TABLES = civicrmEntities().map((e) => e.table);

/**
 * CiviCRM's DDL for these tables as its generator emits it: every CREATE TABLE IF NOT EXISTS, then
 * the ALTER TABLE … ADD CONSTRAINT statements under CiviCRM's names.
 */
export function civicrmDdl(variant: CiviCrmVariant = CIVICRM_6_14): { createTables: string[]; constraints: string[] } {
  const entities = civicrmEntities(variant);
  return {
    createTables: entities.map(createTableSql),
    constraints: entities.map(constraintsSql).filter((s): s is string => s !== null),
  };
}

const greetings: Array<[number, string, number, number, number]> = [
  // value, label (= name), filter, is_default, is_reserved
  [1, 'Dear {contact.first_name}', 1, 1, 0],
  [2, 'Dear {contact.prefix_id:label} {contact.first_name} {contact.last_name}', 1, 0, 0],
  [3, 'Dear {contact.prefix_id:label} {contact.last_name}', 1, 0, 0],
  [4, 'Customized', 0, 0, 1],
  [5, 'Dear {contact.household_name}', 2, 1, 0],
];

/** The option groups a fresh install has that the bridge reads: name, title, description, values. */
export const CIVICRM_OPTION_GROUPS: ReadonlyArray<{
  name: string;
  title: string;
  description: string | null;
  values: Array<[number, string, number, number, number]>;
}> = [
  {
    name: 'individual_prefix',
    title: 'Individual contact prefixes',
    description:
      'CiviCRM is pre-configured with standard options for individual contact prefixes (Ms., Mr., Dr. etc.). Customize these options and add new ones as needed for your installation.',
    values: ['Mrs.', 'Ms.', 'Mr.', 'Dr.'].map((label, i) => [i + 1, label, 0, 0, 0]),
  },
  {
    name: 'individual_suffix',
    title: 'Individual contact suffixes',
    description:
      'CiviCRM is pre-configured with standard options for individual contact name suffixes (Jr., Sr., II etc.). Customize these options and add new ones as needed for your installation.',
    values: ['Jr.', 'Sr.', 'II', 'III', 'IV', 'V', 'VI', 'VII'].map((label, i) => [i + 1, label, 0, 0, 0]),
  },
  { name: 'email_greeting', title: 'Email Greeting Type', description: null, values: greetings },
  { name: 'postal_greeting', title: 'Postal Greeting Type', description: null, values: greetings },
  {
    name: 'addressee',
    title: 'Addressee Type',
    description: null,
    values: [
      [1, '{contact.prefix_id:label}{ }{contact.first_name}{ }{contact.middle_name}{ }{contact.last_name}{ }{contact.suffix_id:label}', 1, 1, 0],
      [2, '{contact.household_name}', 2, 1, 0],
      [3, '{contact.organization_name}', 3, 1, 0],
      [4, 'Customized', 0, 0, 1],
    ],
  },
];

/** The rows a fresh install inserts in these tables (civicrm_data: domain, its organization, …). */
async function seed(pool: Pool, variant: CiviCrmVariant): Promise<void> {
  const org = 'Default Organization';
  const [contact] = await pool.query<ResultSetHeader>(
    `INSERT INTO civicrm_contact (contact_type, sort_name, display_name, legal_name, organization_name)
     VALUES ('Organization', ?, ?, ?, ?)`,
    [org, org, org, org],
  );
  await pool.query(
    `INSERT INTO civicrm_email (contact_id, location_type_id, email, is_primary, is_billing, on_hold, hold_date, reset_date)
     VALUES (?, 1, 'fixme.domainemail@example.org', 1, 0, 0, NULL, NULL)`,
    [contact.insertId],
  );
  await pool.query(`INSERT INTO civicrm_domain (name, version, contact_id) VALUES ('Default Domain Name', '2.2', ?)`, [contact.insertId]);
  const locations: Array<[string, string | null, string, number]> = [
    ['Home', 'HOME', 'Place of residence', 0],
    ['Work', 'WORK', 'Work location', 0],
    ['Main', null, 'Main office location', 0],
    ['Other', null, 'Other location', 0],
    ['Billing', null, 'Billing Address location', 1],
  ];
  for (const [name, vcard, description, reserved] of locations) {
    await pool.query(
      `INSERT INTO civicrm_location_type (name, display_name, vcard_name, description, is_reserved, is_active, is_default)
       VALUES (?, ?, ?, ?, ?, 1, ?)`,
      [name, name, vcard, description, reserved, name === variant.defaultLocationType ? 1 : 0],
    );
  }
  await pool.query(
    `INSERT INTO civicrm_contact_type (id, name, label, image_URL, parent_id, is_active, is_reserved, icon) VALUES
     (1, 'Individual', 'Individual', NULL, NULL, 1, 1, 'fa-user'),
     (2, 'Household', 'Household', NULL, NULL, 1, 1, 'fa-home'),
     (3, 'Organization', 'Organization', NULL, NULL, 1, 1, 'fa-building')`,
  );
  for (const group of CIVICRM_OPTION_GROUPS) {
    const [g] = await pool.query<ResultSetHeader>(
      `INSERT INTO civicrm_option_group (name, title, description, is_reserved, is_active, option_value_fields)
       VALUES (?, ?, ?, 1, 1, 'name,label,description')`,
      [group.name, group.title, group.description],
    );
    for (const [i, [value, label, filter, isDefault, isReserved]] of group.values.entries()) {
      await pool.query(
        `INSERT INTO civicrm_option_value
           (option_group_id, label, value, name, grouping, filter, is_default, weight, description,
            is_optgroup, is_reserved, is_active, component_id, domain_id, visibility_id, icon, color)
         VALUES (?, ?, ?, ?, NULL, ?, ?, ?, NULL, 0, ?, 1, NULL, NULL, NULL, NULL, NULL)`,
        [g.insertId, label, String(value), label, filter, isDefault, i + 1, isReserved],
      );
    }
  }
  await pool.query(`UPDATE civicrm_domain SET version = '6.14.alpha1'`);
  if (variant.duplicateUserLinks) {
    const ids: number[] = [];
    for (const email of ['linked.twice.a@example.org', 'linked.twice.b@example.org']) {
      const [c] = await pool.query<ResultSetHeader>(
        `INSERT INTO civicrm_contact (contact_type, display_name, sort_name) VALUES ('Individual', ?, ?)`,
        [email, email],
      );
      await pool.query(`INSERT INTO civicrm_email (contact_id, location_type_id, email, is_primary) VALUES (?, 1, ?, 1)`, [c.insertId, email]);
      ids.push(c.insertId);
    }
    await pool.query(
      `INSERT INTO civicrm_uf_match (domain_id, uf_id, uf_name, contact_id) VALUES (1, ?, 'linked.twice.a@example.org', ?), (1, ?, 'linked.twice.b@example.org', ?)`,
      [DUPLICATE_LINKED_USER, ids[0], DUPLICATE_LINKED_USER, ids[1]],
    );
  }
}

/** Builds the CRM side of a database as CiviCRM's installer does: tables, keys, triggers, base rows. */
export async function installCiviCrm(pool: Pool, variant: CiviCrmVariant = CIVICRM_6_14): Promise<void> {
  const ddl = civicrmDdl(variant);
  for (const statement of [...ddl.createTables, ...ddl.constraints, ...CIVICRM_TRIGGERS]) await pool.query(statement);
  await seed(pool, variant);
}
