import type { RowDataPacket } from 'mysql2/promise';
import { bareConventions, GREETINGS, type ContactType, type CrmConventions, type GreetingKind } from '../domain/model';
import type { Runner } from '../lib/transaction';

const NO_SUCH_TABLE = 1146;

/** civicrm_option_value.filter of a greeting: the contact type it applies to. */
const TYPE_OF_FILTER: Record<number, ContactType> = { 1: 'Individual', 2: 'Household', 3: 'Organization' };

async function rowsOrNone(db: Runner, sql: string, values: unknown[] = []): Promise<RowDataPacket[] | null> {
  try {
    const [rows] = await db.run([{ sql, values }]);
    return rows as RowDataPacket[];
  } catch (error) {
    if ((error as { errno?: number }).errno === NO_SUCH_TABLE) return null;
    throw error;
  }
}

/**
 * The site's conventions, read from its own tables: the default location type, the active
 * greeting and addressee templates with each contact type's default, prefix and suffix labels.
 * A table that does not exist leaves its part as a CRM without it would have it.
 */
export async function loadConventions(db: Runner): Promise<CrmConventions> {
  const conventions = bareConventions();
  const types = await rowsOrNone(db, `SELECT id FROM civicrm_location_type WHERE is_default = 1 AND is_active = 1 ORDER BY id LIMIT 1`);
  if (types && types.length > 0) conventions.locationTypeId = Number(types[0].id);
  const values = await rowsOrNone(
    db,
    `SELECT g.name AS grp, v.value, v.label, v.filter, v.is_default
       FROM civicrm_option_value v JOIN civicrm_option_group g ON g.id = v.option_group_id
      WHERE g.name IN (?) AND COALESCE(v.is_active, 1) = 1
      ORDER BY v.weight, v.id`,
    [[...GREETINGS, 'individual_prefix', 'individual_suffix']],
  );
  if (!values) return conventions;
  const prefix = new Map<number, string>();
  const suffix = new Map<number, string>();
  const templates = { email_greeting: new Map<number, string>(), postal_greeting: new Map<number, string>(), addressee: new Map<number, string>() };
  const defaults: Record<GreetingKind, Partial<Record<ContactType, number>>> = { email_greeting: {}, postal_greeting: {}, addressee: {} };
  for (const r of values) {
    const id = Number(r.value);
    if (!Number.isInteger(id)) continue;
    const group = String(r.grp);
    const label = String(r.label ?? '');
    if (group === 'individual_prefix') prefix.set(id, label);
    else if (group === 'individual_suffix') suffix.set(id, label);
    else {
      const kind = group as GreetingKind;
      templates[kind].set(id, label);
      const type = TYPE_OF_FILTER[Number(r.filter)];
      if (type && Number(r.is_default) === 1 && defaults[kind][type] === undefined) defaults[kind][type] = id;
    }
  }
  return { ...conventions, prefixLabels: prefix, suffixLabels: suffix, greetingTemplates: templates, greetingDefaults: defaults };
}
