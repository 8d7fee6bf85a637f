import Ajv, { type ValidateFunction } from 'ajv';
import { AppError } from '../../lib/errors';
import { findDuplicateKey } from './json-duplicate-keys';

const ajv = new Ajv({ allErrors: false, strict: true });

/** uf_id is INT UNSIGNED in civicrm_uf_match: the largest user id the CRM can hold. */
export const MAX_USER_ID = 4294967295;

const userId = { type: 'integer', minimum: 1, maximum: MAX_USER_ID };

export interface EventBody {
  event: 'user_register' | 'profile_update' | 'deleted_user' | 'wp_login';
  user_id: number;
  blog_id?: number;
  domain_id?: number;
}

export const validateEventBody = ajv.compile<EventBody>({
  type: 'object',
  additionalProperties: false,
  required: ['event', 'user_id'],
  properties: {
    event: { type: 'string', enum: ['user_register', 'profile_update', 'deleted_user', 'wp_login'] },
    user_id: userId,
    blog_id: { type: 'integer', minimum: 1, maximum: MAX_USER_ID },
    domain_id: { type: 'integer', minimum: 1, maximum: MAX_USER_ID },
  },
});

/** Parses a raw JSON body and validates it; any problem is a 400 that names it. */
export function parseBody<T>(raw: Buffer, validate: ValidateFunction<T>): T {
  const text = raw.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError('BAD_REQUEST', 'Body is not valid JSON.', 400);
  }
  // JSON.parse keeps the last of two equal keys; a signed body must mean one thing only.
  const duplicate = findDuplicateKey(text);
  if (duplicate !== null) {
    throw new AppError('BAD_REQUEST', `Invalid body: property ${JSON.stringify(duplicate.slice(0, 64))} appears more than once.`, 400);
  }
  if (!validate(value)) throw invalid(validate, 'body', 'property');
  return value;
}

/** The 400 for what a validator refused: the first problem, named (an unknown key by its name, cut to 64 characters). */
function invalid(validate: ValidateFunction, what: 'body' | 'query', key: 'property' | 'parameter'): AppError {
  const error = validate.errors?.[0];
  const where = error?.instancePath ? error.instancePath.slice(1) : what;
  const detail =
    error?.keyword === 'additionalProperties'
      ? `unknown ${key} ${JSON.stringify(String(error.params.additionalProperty).slice(0, 64))}`
      : `${where} ${error?.message ?? 'is invalid'}`;
  return new AppError('BAD_REQUEST', `Invalid ${what}: ${detail}.`, 400);
}

/** Validates a query string's parameters; any problem is a 400 that names it. */
export function parseQuery<T>(query: unknown, validate: ValidateFunction<T>): T {
  if (!validate(query)) throw invalid(validate, 'query', 'parameter');
  return query;
}

/** A path or query user id: digits only, 1..MAX_USER_ID. */
export function parseUserId(raw: unknown, name = 'user id'): number {
  if (typeof raw !== 'string' || !/^[1-9]\d{0,9}$/.test(raw) || Number(raw) > MAX_USER_ID) {
    throw new AppError('BAD_REQUEST', `Invalid ${name}: expected an integer from 1 to ${MAX_USER_ID}.`, 400);
  }
  return Number(raw);
}

/** A run id of a path (/v1/sync/:id, /v1/repair/:id). */
export function parseRunId(raw: string): number {
  if (!/^[1-9]\d{0,15}$/.test(raw)) throw new AppError('BAD_REQUEST', 'Invalid run id: expected a positive integer.', 400);
  return Number(raw);
}
