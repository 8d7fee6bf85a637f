/**
 * Hostile bodies, correctly signed (so they get past the signature to the parsers): random
 * JSON, wrong types, huge numbers, unicode, nested junk, missing fields, giant strings,
 * duplicated keys, bytes that are not UTF-8. Seeded (fast-check), so a failure replays.
 * Every answer is a 4xx with {"error": {code, message}}; no row changes.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { validateEventBody } from '../../sidecar/src/entry-points/http/request-schemas';
import { findDuplicateKey } from '../../sidecar/src/entry-points/http/json-duplicate-keys';
import { rows } from '../support/database';
import { insertContact, insertUser, snapshot } from '../support/fixtures';
import { sidecarSuite, TEST_SECRET } from '../support/sidecar';
import { sign } from '../../sidecar/src/entry-points/http/signature';
import type { Reply } from '../../tools/signed-client';

const SEED = Number(process.env.FUZZ_SEED ?? 424242);

/** True when the text is a body the sidecar would act on (such cases are not hostile; skipped). */
function actionable(text: string, validate: (v: unknown) => boolean): boolean {
  try {
    return validate(JSON.parse(text)) && findDuplicateKey(text) === null;
  } catch {
    return false;
  }
}

const numberLiterals = fc.oneof(
  fc.constantFrom('1e400', '-1e400', '-0', '0', '-5', '4294967296', '18446744073709551616', '99999999999999999999999999', '1.5', '5.000001', '1e-400', '0.0000001', '9007199254740993'),
  fc.double().filter((d) => Number.isFinite(d)).map((d) => JSON.stringify(d)),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
);

const junkValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(null, true, false, [], {}, '', ' ', 'user_register ', 'USER_REGISTER', 'user_register\u0000', '<script>alert(1)</script>', "'; DROP TABLE civicrm_contact; --", '😀', '\u202e'),
);

/** Texts of request bodies, each meant to be refused. */
const hostileEventBody: fc.Arbitrary<string> = fc.oneof(
  // Random JSON of any shape.
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  // The right keys with junk values, keys missing, extra keys.
  fc
    .record(
      { event: junkValue, user_id: junkValue, blog_id: junkValue, extra: junkValue },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
  // A valid event whose numbers are written as literals JSON.parse reads oddly.
  fc
    .tuple(fc.constantFrom('user_register', 'profile_update', 'deleted_user', 'wp_login'), numberLiterals, fc.option(numberLiterals))
    .map(([event, id, blog]) => `{"event":"${event}","user_id":${id}${blog === null ? '' : `,"blog_id":${blog}`}}`),
  // Duplicated keys, plainly or escaped, with the same or different values.
  fc
    .tuple(fc.constantFrom('event', 'user_id', 'blog_id'), fc.boolean(), fc.integer({ min: 1, max: 10 }))
    .map(([key, escaped, other]) => {
      const again = escaped ? `"${key.replace('_', '\\u005f').replace('e', '\\u0065')}"` : `"${key}"`;
      const value = key === 'event' ? '"wp_login"' : String(other);
      return `{"event":"user_register","user_id":5,"blog_id":1,${again}:${value}}`;
    }),
  // Nested junk, deep nesting, giant strings.
  fc.integer({ min: 1, max: 3000 }).map((depth) => `{"event":${'['.repeat(depth)}"user_register"${']'.repeat(depth)},"user_id":5}`),
  fc.integer({ min: 1, max: 1500 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
  fc.integer({ min: 1_000, max: 60_000 }).map((n) => JSON.stringify({ event: 'user_register', user_id: 5, pad: 'é'.repeat(n / 2) })),
  fc.integer({ min: 1_000, max: 60_000 }).map((n) => JSON.stringify({ event: 'u'.repeat(n), user_id: 5 })),
  // Not JSON at all, or JSON text around broken unicode.
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('', ' ', '{', '}', '[]', 'null', 'true', '"user_register"', '{"event":"user_register","user_id":5', '{"event":"user_register","user_id":5}}', '{"event":"user_register","user_id":"\\ud800"}', '\ufeff{"event":"user_register","user_id":5}', '{"event":"user_register","user_id":5}\u0000'),
);

function expectRefusal(reply: Reply, what: string): void {
  expect(reply.status, `${what} -> ${reply.status} ${JSON.stringify(reply.body)?.slice(0, 200)}`).to.be.within(400, 499);
  expect(reply.headers.get('content-type') ?? '', what).to.match(/^application\/json/);
  expect(reply.body?.error?.code, what).to.be.a('string');
  expect(reply.body?.error?.message, what).to.be.a('string');
}

describe('reliability: fuzzed requests (seeded)', () => {
  const suite = sidecarSuite();
  let initial: string;
  let syncRuns: () => Promise<string>;

  before(async () => {
    // Rows that a body slipping through would change: user 5 unlinked, user 6 linkable.
    await insertUser(suite.db.pool, suite.db.prefix, { id: 5, email: 'fuzz.five@example.org', firstName: 'Five' });
    await insertUser(suite.db.pool, suite.db.prefix, { id: 6, email: 'fuzz.six@example.org' });
    await insertContact(suite.db.pool, { firstName: 'Six', emails: ['fuzz.six@example.org'] });
    const hasSyncTable = (await rows(suite.db.pool, "SHOW TABLES LIKE 'contact_bridge_sync_run'")).length === 1;
    syncRuns = async () => (hasSyncTable ? JSON.stringify(await rows(suite.db.pool, 'SELECT * FROM contact_bridge_sync_run ORDER BY id')) : '');
    initial = (await snapshot(suite.db.pool)) + (await syncRuns());
  });
  afterEach(async () => {
    expect(suite.running.unexpectedErrors, 'no unexpected errors').to.deep.equal([]);
    expect((await snapshot(suite.db.pool)) + (await syncRuns()), 'no row changed').to.equal(initial);
  });

  it('when 2,500 hostile bodies are POSTed to /v1/events, then each is a 4xx JSON error and no row changes', async () => {
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(hostileEventBody, async (text) => {
        fc.pre(!actionable(text, validateEventBody));
        sent++;
        expectRefusal(await suite.running.client.post('/v1/events', text), `POST /v1/events ${JSON.stringify(text.slice(0, 120))}`);
      }),
      { seed: SEED, numRuns: 2500 },
    );
    expect(sent).to.be.at.least(2000);
  });

  it('when raw bytes that are not UTF-8 are POSTed as JSON, then 400', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
        const body = Buffer.from(bytes);
        fc.pre(!actionable(body.toString('utf8'), validateEventBody));
        const timestamp = String(Math.floor(Date.now() / 1000));
        const reply = await suite.running.client.raw('POST', '/v1/events', body, {
          'Content-Type': 'application/json',
          'X-Bridge-Timestamp': timestamp,
          'X-Bridge-Signature': sign(TEST_SECRET, { timestamp, method: 'POST', path: '/v1/events', rawBody: body }),
        });
        expectRefusal(reply, `bytes ${body.toString('hex').slice(0, 60)}`);
      }),
      { seed: SEED + 1, numRuns: 300 },
    );
  });

  it('when hostile bodies are POSTed to /v1/sync (when present) and hostile ids are asked of the read routes, then 4xx (read routes: 200 for a valid id list) and never a change', async () => {
    const syncPresent = (await suite.running.client.get('/v1/sync')).status === 200;
    const syncBodies = fc.oneof(
      hostileEventBody,
      fc.record({ dry_run: junkValue }).map((o) => JSON.stringify(o)),
      fc.constantFrom('{"dry_run":true,"dry_run":false}', '{"dry_run":"true"}', '{"dry_run":1}', '{"dry_run":null}', '[]', '{"dry_run":true,"x":1}'),
    );
    const hostileId = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 30 }),
      numberLiterals,
      fc.constantFrom('0', '-1', '1.5', '4294967296', '99999999999999999999', '%00', '..%2F..', '1;DROP TABLE x', '%F0%9F%98%80', '1e3', ' 1'),
    );

    await fc.assert(
      fc.asyncProperty(syncBodies, hostileId, async (text, id) => {
        fc.pre(id !== '');
        const path = encodeURIComponent(id);
        if (syncPresent) {
          let validSync = false;
          try {
            const v = JSON.parse(text);
            validSync = v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).every((k) => k === 'dry_run') && (v.dry_run === undefined || typeof v.dry_run === 'boolean') && findDuplicateKey(text) === null;
          } catch {
            validSync = false;
          }
          fc.pre(!validSync);
          expectRefusal(await suite.running.client.post('/v1/sync', text), `POST /v1/sync ${JSON.stringify(text.slice(0, 120))}`);
          const run = await suite.running.client.get(`/v1/sync/${path}`);
          expect(run.status, `GET /v1/sync/${path}`).to.be.oneOf([400, 404]);
        }
        const link = await suite.running.client.get(`/v1/users/${path}/link`);
        expect(link.status, `GET /v1/users/${path}/link`).to.be.oneOf([400, 404]);
        const links = await suite.running.client.get(`/v1/links?user_ids=${path}`);
        expect(links.status, `GET /v1/links?user_ids=${path}`).to.be.oneOf([200, 400]);
      }),
      { seed: SEED + 2, numRuns: 500 },
    );
  });
});
