import type { Pool } from './data-access/pool';
import { SchemaInspectionRepository, type CrmSchemaReport } from './data-access/schema-inspection';
import { AppError } from './lib/errors';
import type { Logger } from './lib/logger';

/**
 * The CRM tables are read, never changed: a missing table or column stops the start, naming it;
 * a non-unique (uf_id, domain_id) and users linked twice are normal states, logged once.
 */
export async function checkCrmSchema(pool: Pool, logger: Logger): Promise<CrmSchemaReport> {
  const report = await new SchemaInspectionRepository().inspect(pool);
  if (report.missing.length > 0) {
    throw new AppError('SCHEMA_INVALID', `The CRM tables lack what the bridge needs: ${report.missing.join('; ')}.`);
  }
  for (const warning of report.warnings) logger.warn(warning);
  if (!report.ufIdUnique) {
    logger.info(
      'civicrm_uf_match: (uf_id, domain_id) is indexed but not unique, as on every CiviCRM since 5.69; ' +
        "contact_bridge_user_state keeps each user's events in order",
    );
  }
  if (report.duplicateUsers > 0) {
    logger.warn(
      { duplicateUsers: report.duplicateUsers, duplicateUserLinks: report.duplicateUserLinks },
      `civicrm_uf_match: ${report.duplicateUsers} user(s) have more than one link in a domain; they are reported on /readyz, not changed`,
    );
  }
  return report;
}

/** For /readyz: what was found, without SQL, hosts or credentials. */
export function crmSchemaDetails(report: CrmSchemaReport): Record<string, unknown> {
  return {
    uf_id_unique: report.ufIdUnique,
    duplicate_users: report.duplicateUsers,
    duplicate_user_links: report.duplicateUserLinks.map((d) => ({ domain_id: d.domainId, user_id: d.ufId, links: d.links })),
    location_types: report.locationTypeTable,
    option_values: report.optionTables,
  };
}
