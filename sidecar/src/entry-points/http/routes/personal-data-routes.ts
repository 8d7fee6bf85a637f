import Ajv from 'ajv';
import { Router } from 'express';
import type { PersonalDataErasure } from '../../../domain/privacy/erase-personal-data';
import type { PersonalDataExport } from '../../../domain/privacy/export-personal-data';
import { personalDataRequest, type PersonalDataRequest } from '../../../domain/privacy/personal-data';
import { AppError } from '../../../lib/errors';
import { MAX_USER_ID, parseBody, parseQuery, parseUserId } from '../request-schemas';

const ajv = new Ajv({ allErrors: false, strict: true });

/** civicrm_email.email holds 254 characters; WordPress's is_email() allows no space and one @. */
const email = { type: 'string', minLength: 3, maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+$' };

export interface ErasureBody {
  user_id?: number;
  email?: string;
}

export const validateErasureBody = ajv.compile<ErasureBody>({
  type: 'object',
  additionalProperties: false,
  properties: { user_id: { type: 'integer', minimum: 1, maximum: MAX_USER_ID }, email },
});

interface ExportQuery {
  user_id?: string;
  email?: string;
  page?: string;
}

const validateExportQuery = ajv.compile<ExportQuery>({
  type: 'object',
  additionalProperties: false,
  properties: { user_id: { type: 'string' }, email, page: { type: 'string', pattern: '^[1-9][0-9]{0,5}$' } },
});

export interface PersonalDataRoutesDeps {
  exportData(request: PersonalDataRequest, page: number): Promise<PersonalDataExport>;
  eraseData(request: PersonalDataRequest): Promise<PersonalDataErasure>;
}

function requestOf(userId: number | undefined, address: string | undefined): PersonalDataRequest {
  if (userId === undefined && address === undefined) throw new AppError('BAD_REQUEST', 'Name the person: user_id, email or both.', 400);
  return personalDataRequest(userId ?? null, address ?? null);
}

function exportJson(e: PersonalDataExport) {
  return {
    page: e.page,
    done: e.done,
    user_exists: e.userExists,
    state: e.state.map((s) => ({
      domain_id: s.domainId,
      last_action: s.action,
      contact_id: s.contactId,
      reason: s.reason,
      applied_email: s.appliedEmail,
      applied_first_name: s.appliedFirstName,
      applied_last_name: s.appliedLastName,
      updated_at: s.updatedAt.toISOString(),
    })),
    audit: e.audit.map((a) => ({
      id: a.id,
      domain_id: a.domainId,
      action: a.action,
      contact_id: a.contactId,
      reason: a.reason,
      source: a.source,
      sync_run_id: a.syncRunId,
      created_at: a.createdAt.toISOString(),
    })),
    mentions: e.mentions.map((m) => ({ source: m.source, domain_id: m.domainId, at: m.at.toISOString(), text: m.text, run_id: m.runId, entries: m.entries })),
  };
}

/**
 * GET /v1/personal-data?user_id=&email=&page= (export) and POST /v1/personal-data/erase
 * {user_id?, email?}: the bridge's own data about one person, in every CRM domain (a user id
 * is the site's or network's, whatever the domain). A WordPress privacy request is by address,
 * and an address may have no user: either names the person. The CRM is never touched.
 */
export function personalDataRoutes(deps: PersonalDataRoutesDeps): Router {
  const router = Router();

  router.get('/v1/personal-data', async (req, res) => {
    const query = parseQuery(req.query, validateExportQuery);
    const request = requestOf(query.user_id === undefined ? undefined : parseUserId(query.user_id, 'user_id'), query.email);
    res.json(exportJson(await deps.exportData(request, query.page === undefined ? 1 : Number(query.page))));
  });

  router.post('/v1/personal-data/erase', async (req, res) => {
    const body = parseBody(req.body as Buffer, validateErasureBody);
    const e = await deps.eraseData(requestOf(body.user_id, body.email));
    res.json({
      done: e.done,
      user_exists: e.userExists,
      audit_deleted: e.auditDeleted,
      state_deleted: e.stateDeleted,
      state_retained: e.stateRetained,
      mentions_erased: e.mentionsErased,
      mentions_left: e.mentionsLeft,
    });
  });

  return router;
}
