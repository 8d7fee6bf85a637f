/**
 * The CRM's conventions (default location type, greeting templates, labels), read from the
 * database at start and again when older than a minute, so that an admin's change in CiviCRM
 * reaches new contacts without a restart.
 */
import type { Runner } from '../lib/transaction';
import type { CrmConventions } from './model';

export interface ConventionsSource {
  get(): Promise<CrmConventions>;
}

const MAX_AGE_MS = 60_000;

export function conventionsFrom(load: (db: Runner) => Promise<CrmConventions>, db: Runner, maxAgeMs = MAX_AGE_MS): ConventionsSource {
  let value: CrmConventions | undefined;
  let loadedAt = 0;
  let loading: Promise<CrmConventions> | undefined;
  return {
    get() {
      if (value !== undefined && Date.now() - loadedAt < maxAgeMs) return Promise.resolve(value);
      loading ??= load(db).then(
        (loaded) => {
          value = loaded;
          loadedAt = Date.now();
          loading = undefined;
          return loaded;
        },
        (error: unknown) => {
          loading = undefined;
          // A failed refresh keeps the last known conventions; without any, the caller fails.
          if (value !== undefined) return value;
          throw error;
        },
      );
      return loading;
    },
  };
}

/** Fixed conventions (tests, and callers that loaded them already). */
export function fixedConventions(conventions: CrmConventions): ConventionsSource {
  return { get: () => Promise.resolve(conventions) };
}
