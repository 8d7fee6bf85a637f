/**
 * Hostile bodies, correctly signed (so they get past the signature to the parsers): random
 * JSON, wrong types, huge numbers, unicode, nested junk, missing fields, giant strings,
 * duplicated keys, bytes that are not UTF-8. Seeded (fast-check), so a failure replays.
 * Every answer is a 4xx with {"error": {code, message}}; no row changes.
 */
import { connect } from 'node:net';
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

  /** One request written byte for byte on a socket; resolves with the status (0: closed without an answer) and the body. */
  function rawExchange(port: number, request: Buffer): Promise<{ status: number; body: string; headers: string }> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(request);
        socket.end();
      });
      socket.on('data', (d) => chunks.push(d));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        const text = Buffer.concat(chunks).toString('latin1');
        const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
        const split = text.indexOf('\r\n\r\n');
        resolve({ status: match ? Number(match[1]) : 0, headers: split < 0 ? text : text.slice(0, split), body: split < 0 ? '' : text.slice(split + 4) });
      });
    });
  }

  it('when 600 requests with odd methods, paths, encodings, framings and duplicated headers arrive (signed or not), then none is a 5xx, errors are JSON, no row changes and the process serves on', async () => {
    const port = suite.running.sidecar.port;
    const methods = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'FOO', 'get', 'M-SEARCH');
    const paths = fc.oneof(
      fc.constantFrom('/v1/events', '/v1/ping', '/v1/sync', '/v1/sync/1', '/v1/conflicts', '/v1/links?user_ids=5,6', '/v1/users/5/link', '/healthz', '/readyz', '/metrics'),
      fc.constantFrom('/v1/users/%E0%A4%A/link', '/v1/sync/%zz', '/v1/%', '/v1/users/%00/link', '/v1/links?user_ids=%zz', '/v1/links?user_ids=5&user_ids=6', '/v1/ping?blog_id=%', '//v1/ping', '/v1/../v1/ping', '/v1/ping/', '/v1/sync/%F0%9F%98%80', '/v1/events?domain_id=9', '*', 'http://127.0.0.1/v1/ping', '/v1/' + 'a'.repeat(3000)),
      fc.string({ unit: 'grapheme-ascii', maxLength: 40 }).map((t) => `/v1/${encodeURI(t).replace(/#/g, '%23')}`),
    );
    const encodings = fc.constantFrom(undefined, 'gzip', 'deflate', 'br', 'identity', 'IDENTITY', 'gzip, identity', 'x-unknown', '');
    const framings = fc.constantFrom('length', 'chunked', 'chunked-broken', 'te-gzip', 'te-and-length', 'two-lengths', 'length-short', 'none');
    const duplicates = fc.subarray(['Content-Type: text/plain', 'Content-Encoding: gzip', 'X-Bridge-Signature: v2=00', 'X-Bridge-Timestamp: 1', 'Host: other', 'Content-Type: application/json']);
    const body = fc.oneof(
      fc.constant('{"event":"user_register","user_id":5,"x":1}'),
      fc.constant('{"dry_run":"yes"}'),
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.constant(''),
    );

    let answered = 0;
    await fc.assert(
      fc.asyncProperty(methods, paths, encodings, framings, duplicates, body, fc.boolean(), async (method, path, encoding, framing, extra, text, signed) => {
        const bytes = Buffer.from(text, 'utf8');
        const head = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', 'Content-Type: application/json'];
        if (encoding !== undefined) head.push(`Content-Encoding: ${encoding}`);
        if (signed) {
          const timestamp = String(Math.floor(Date.now() / 1000));
          head.push(`X-Bridge-Timestamp: ${timestamp}`, `X-Bridge-Signature: ${sign(TEST_SECRET, { timestamp, method, path, rawBody: bytes })}`);
        }
        head.push(...extra);
        let payload: Buffer = bytes;
        if (framing === 'length') head.push(`Content-Length: ${bytes.length}`);
        if (framing === 'length-short') head.push(`Content-Length: ${Math.max(0, bytes.length - 3)}`);
        if (framing === 'two-lengths') head.push(`Content-Length: ${bytes.length}`, `Content-Length: ${bytes.length + 1}`);
        if (framing === 'te-and-length') head.push('Transfer-Encoding: chunked', `Content-Length: ${bytes.length}`);
        if (framing === 'te-gzip') head.push('Transfer-Encoding: gzip');
        if (framing === 'chunked' || framing === 'chunked-broken' || framing === 'te-and-length') {
          if (framing === 'chunked') head.push('Transfer-Encoding: chunked');
          payload = framing === 'chunked-broken'
            ? Buffer.concat([Buffer.from('Transfer-Encoding: chunked\r\n\r\nzz\r\n'), bytes])
            : Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n0\r\n\r\n')]);
        }
        const request = framing === 'chunked-broken'
          ? Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n`), payload])
          : Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), payload]);
        const reply = await rawExchange(port, request);
        const what = `${method} ${path.slice(0, 80)} enc=${encoding} framing=${framing} extra=${extra.join('|')} signed=${signed} -> ${reply.status} ${reply.body.slice(0, 160)}`;

        expect(reply.status < 500, what).to.equal(true);
        if (reply.status >= 400 && reply.body !== '' && method !== 'HEAD') {
          expect(reply.headers, what).to.match(/content-type: application\/json/i);
          expect(JSON.parse(reply.body).error.code, what).to.be.a('string');
        }
        if (reply.status > 0) answered++;
      }),
      { seed: SEED + 3, numRuns: 600 },
    );

    expect(answered).to.be.at.least(500);
    expect((await suite.running.client.get('/v1/ping')).status, 'the sidecar serves on').to.equal(200);
  });
});
