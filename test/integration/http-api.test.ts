import path from 'node:path';
import { readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { forEachCrmFixture, rows } from '../support/database';
import { count, insertContact, insertUser, snapshot } from '../support/fixtures';
import { sidecarSuite, TEST_SECRET } from '../support/sidecar';
import { sign } from '../../sidecar/src/entry-points/http/signature';
import { SignedClient } from '../../tools/signed-client';

describe('HTTP API (real sidecar, real database)', () => {
  forEachCrmFixture((crm) => {
    const suite = sidecarSuite({}, { crm });
    let api: SignedClient;

    before(async () => {
      api = suite.running.client;
    });

    describe('POST /v1/events', () => {
      it('when a signed user_register arrives for a new user, then 200 with the outcome and the rows exist', async () => {
        const id = await insertUser(suite.db.pool, suite.db.prefix, { email: 'http.new@example.org', firstName: 'Http' });

        const reply = await api.post('/v1/events', { event: 'user_register', user_id: id, blog_id: 1 });

        expect(reply.status).to.equal(200);
        expect(reply.body).to.deep.include({ action: 'created' });
        expect(reply.body.contact_id).to.be.a('number');
        const [link] = await rows(suite.db.pool, 'SELECT contact_id, uf_name FROM civicrm_uf_match WHERE uf_id = ?', [id]);
        expect(link).to.deep.equal({ contact_id: reply.body.contact_id, uf_name: 'http.new@example.org' });
      });

      it('when the user matches an existing contact, then 200 matched and no contact is created', async () => {
        const contactId = await insertContact(suite.db.pool, { emails: ['http.known@example.org'] });
        const id = await insertUser(suite.db.pool, suite.db.prefix, { email: 'http.known@example.org' });
        const before = await count(suite.db.pool, 'civicrm_contact');

        const reply = await api.post('/v1/events', { event: 'wp_login', user_id: id });

        expect(reply.status).to.equal(200);
        expect(reply.body).to.deep.equal({ action: 'matched', contact_id: contactId, reason: 'contact has this primary email', domain_id: 1 });
        expect(await count(suite.db.pool, 'civicrm_contact')).to.equal(before);
      });

      it('when the event carries the queue time, then the lag is recorded in /metrics', async () => {
        const id = await insertUser(suite.db.pool, suite.db.prefix, { email: 'http.lag@example.org' });
        const queuedAt = String(Math.floor(Date.now() / 1000) - 30);

        const reply = await api.post('/v1/events', { event: 'profile_update', user_id: id }, { 'X-Bridge-Queued-At': queuedAt });
        const metrics = await fetch(`${suite.running.sidecar.url}/metrics`).then((r) => r.text());

        expect(reply.status).to.equal(200);
        expect(metrics).to.match(/contact_bridge_shim_queue_lag_seconds_count [1-9]/);
        expect(metrics).to.match(/contact_bridge_events_total\{event="profile_update",action="created"\} 1/);
      });
    });

    describe('signature', () => {
      const body = JSON.stringify({ event: 'user_register', user_id: 1 });
      const now = () => Math.floor(Date.now() / 1000);
      const events = (raw: string, timestamp?: number) => api.headersFor('POST', '/v1/events', raw, timestamp);
      const cases: Array<[string, () => Record<string, string>]> = [
        ['no signature headers', () => ({})],
        ['no timestamp', () => ({ 'X-Bridge-Signature': events(body)['X-Bridge-Signature'] })],
        ['a signature made with another secret', () => new SignedClient({ baseUrl: '', secret: 'another-secret-of-at-least-32-characters!' }).headersFor('POST', '/v1/events', body)],
        ['a timestamp 301 s old', () => events(body, now() - 301)],
        ['a timestamp 301 s in the future', () => events(body, now() + 301)],
        ['a truncated signature', () => {
          const h = events(body);
          return { ...h, 'X-Bridge-Signature': h['X-Bridge-Signature'].slice(0, 40) };
        }],
        ['an uppercase-hex signature', () => {
          const h = events(body);
          return { ...h, 'X-Bridge-Signature': `v2=${h['X-Bridge-Signature'].slice(3).toUpperCase()}` };
        }],
        ['a signature valid for another body', () => events(JSON.stringify({ event: 'user_register', user_id: 2 }))],
        ['a signature for another path', () => api.headersFor('POST', '/v1/sync', body)],
        ['a signature for another method', () => api.headersFor('PUT', '/v1/events', body)],
        ['a signature for the path with a query the request does not have', () => api.headersFor('POST', '/v1/events?blog_id=1', body)],
        ['a signature over the path with a proxy\'s prefix', () => {
          const timestamp = String(now());
          return { 'X-Bridge-Timestamp': timestamp, 'X-Bridge-Signature': sign(TEST_SECRET, { timestamp, method: 'POST', path: '/bridge/v1/events', rawBody: body }) };
        }],
      ];
      for (const [what, headers] of cases) {
        it(`when a request has ${what}, then 401 and nothing is written`, async () => {
          const id = await insertUser(suite.db.pool, suite.db.prefix, { email: `sig.${Math.random()}@example.org` });
          const raw = JSON.stringify({ event: 'user_register', user_id: id });
          const before = await snapshot(suite.db.pool);

          const reply = await api.raw('POST', '/v1/events', what.includes('another body') ? raw : body, {
            'Content-Type': 'application/json',
            ...headers(),
          });

          expect(reply.status).to.equal(401);
          expect(reply.body.error.code).to.equal('UNAUTHORIZED');
          expect(await snapshot(suite.db.pool)).to.equal(before);
        });
      }

      it('when the signature of GET /v1/ping is replayed on other paths, queries and methods, then each is 401 and no run starts', async () => {
        const id = await insertUser(suite.db.pool, suite.db.prefix, { email: 'sig.replayed@example.org' });
        await api.post('/v1/events', { event: 'user_register', user_id: id });
        const runsBefore = await rows(suite.db.pool, 'SELECT id FROM contact_bridge_sync_run');
        const ping = api.headersFor('GET', '/v1/ping');
        const links = api.headersFor('GET', `/v1/links?user_ids=${id}`);
        const syncBody = JSON.stringify({ dry_run: true });

        const replies = {
          conflicts: await api.raw('GET', '/v1/conflicts', undefined, ping),
          links: await api.raw('GET', `/v1/links?user_ids=${id}`, undefined, ping),
          link: await api.raw('GET', `/v1/users/${id}/link`, undefined, ping),
          runs: await api.raw('GET', '/v1/sync', undefined, ping),
          otherQuery: await api.raw('GET', `/v1/links?user_ids=${id + 1}`, undefined, links),
          extraQuery: await api.raw('GET', `/v1/links?user_ids=${id}&blog_id=1`, undefined, links),
          postWithGetSignature: await api.raw('POST', '/v1/sync', syncBody, { 'Content-Type': 'application/json', ...api.headersFor('GET', '/v1/sync', syncBody) }),
        };

        for (const [what, reply] of Object.entries(replies)) {
          expect(reply.status, what).to.equal(401);
          expect(JSON.stringify(reply.body), what).to.not.include('sig.replayed');
        }
        expect(await rows(suite.db.pool, 'SELECT id FROM contact_bridge_sync_run')).to.deep.equal(runsBefore);
        expect((await api.get(`/v1/links?user_ids=${id}`)).body.links).to.have.length(1);
      });

      it('when a request is signed the old way (sha256= over timestamp.body), then 401 and the message says to upgrade the plugin', async () => {
        const timestamp = String(now());
        const old = `sha256=${createHmac('sha256', TEST_SECRET).update(`${timestamp}.${body}`).digest('hex')}`;
        const before = await snapshot(suite.db.pool);

        const reply = await api.raw('POST', '/v1/events', body, { 'Content-Type': 'application/json', 'X-Bridge-Timestamp': timestamp, 'X-Bridge-Signature': old });

        expect(reply.status).to.equal(401);
        expect(reply.body.error.message).to.match(/upgrade the contact-bridge plugin/);
        expect(await snapshot(suite.db.pool)).to.equal(before);
      });

      it('when the signed path carries its query string exactly as sent (escapes and all), then it is served', async () => {
        const reply = await api.get('/v1/links?user_ids=%31,2&blog_id=1');
        expect(reply.status).to.equal(200);
      });

      it('when a GET is unsigned, then 401; when signed, then it is served', async () => {
        expect((await api.raw('GET', '/v1/ping', undefined, {})).status).to.equal(401);
        const version = (JSON.parse(readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as { version: string }).version;
        expect((await api.get('/v1/ping')).body).to.deep.equal({ ok: true, domain_id: 1, version, signature: 'v2' });
      });
    });

    describe('bad input', () => {
      const bodies: Array<[string, string]> = [
        ['malformed JSON', '{"event": "user_register", "user_id": '],
        ['a string user_id', JSON.stringify({ event: 'user_register', user_id: '5' })],
        ['an unknown event', JSON.stringify({ event: 'user_deleted', user_id: 5 })],
        ['a negative user id', JSON.stringify({ event: 'user_register', user_id: -5 })],
        ['a zero user id', JSON.stringify({ event: 'user_register', user_id: 0 })],
        ['a fractional user id', JSON.stringify({ event: 'user_register', user_id: 1.5 })],
        ['a user id beyond INT UNSIGNED', JSON.stringify({ event: 'user_register', user_id: 4294967296 })],
        ['a huge user id', '{"event": "user_register", "user_id": 1e400}'],
        ['an extra property', JSON.stringify({ event: 'user_register', user_id: 5, admin: true })],
        ['a missing user_id', JSON.stringify({ event: 'user_register' })],
        ['an array', JSON.stringify([{ event: 'user_register', user_id: 5 }])],
        ['null', 'null'],
        ['a blog_id of 0', JSON.stringify({ event: 'user_register', user_id: 5, blog_id: 0 })],
      ];
      for (const [what, raw] of bodies) {
        it(`when the body is ${what}, then 400 with a JSON error and nothing is written`, async () => {
          await insertUser(suite.db.pool, suite.db.prefix, { id: 5, email: 'five@example.org' }).catch(() => undefined);
          const before = await snapshot(suite.db.pool);

          const reply = await api.raw('POST', '/v1/events', raw, { 'Content-Type': 'application/json', ...api.headersFor('POST', '/v1/events', raw) });

          expect(reply.status).to.equal(400);
          expect(reply.body.error.code).to.equal('BAD_REQUEST');
          expect(reply.body.error.message).to.be.a('string').and.not.match(/at .*\.js/);
          expect(await snapshot(suite.db.pool)).to.equal(before);
        });
      }

      it('when the body is larger than 64 KB, then 413 and nothing is written', async () => {
        const raw = JSON.stringify({ event: 'user_register', user_id: 5, pad: 'x'.repeat(70 * 1024) });
        const before = await snapshot(suite.db.pool);

        const reply = await api.raw('POST', '/v1/events', raw, { 'Content-Type': 'application/json', ...api.headersFor('POST', '/v1/events', raw) });

        expect(reply.status).to.equal(413);
        expect(reply.body.error.code).to.equal('PAYLOAD_TOO_LARGE');
        expect(await snapshot(suite.db.pool)).to.equal(before);
      });

      it('when a POST is not JSON, then 415', async () => {
        const raw = 'event=user_register&user_id=5';
        const reply = await api.raw('POST', '/v1/events', raw, { 'Content-Type': 'application/x-www-form-urlencoded', ...api.headersFor('POST', '/v1/events', raw) });
        expect(reply.status).to.equal(415);
      });

      it('when a route does not exist, then 404 with a JSON error', async () => {
        const reply = await api.get('/v1/nothing-here');
        expect(reply.status).to.equal(404);
        expect(reply.body.error.code).to.equal('NOT_FOUND');
      });
    });

    describe('links', () => {
      it('when a user is linked, then GET /v1/users/:id/link returns the link; when not, 404', async () => {
        const id = await insertUser(suite.db.pool, suite.db.prefix, { email: 'link.read@example.org' });
        expect((await api.get(`/v1/users/${id}/link`)).status).to.equal(404);
        const created = await api.post('/v1/events', { event: 'user_register', user_id: id });

        const reply = await api.get(`/v1/users/${id}/link`);

        expect(reply.status).to.equal(200);
        expect(reply.body).to.deep.equal({ user_id: id, contact_id: created.body.contact_id, uf_name: 'link.read@example.org', domain_id: 1 });
      });

      it('when several users are asked for at once, then only the linked ones come back', async () => {
        const a = await insertUser(suite.db.pool, suite.db.prefix, { email: 'links.a@example.org' });
        const b = await insertUser(suite.db.pool, suite.db.prefix, { email: 'links.b@example.org' });
        await api.post('/v1/events', { event: 'user_register', user_id: a });

        const reply = await api.get(`/v1/links?user_ids=${a},${b}`);

        expect(reply.status).to.equal(200);
        expect(reply.body.links.map((l: { user_id: number }) => l.user_id)).to.deep.equal([a]);
      });

      it('when user_ids holds something that is not an id, then 400', async () => {
        for (const bad of ['1,x', '1;DROP TABLE civicrm_contact', '', '-1', '99999999999']) {
          const reply = await api.get(`/v1/links?user_ids=${encodeURIComponent(bad)}`);
          expect(reply.status, bad).to.equal(400);
        }
        expect((await api.get('/v1/users/abc/link')).status).to.equal(400);
      });
    });

    describe('health', () => {
      it('when the database is up and migrated, then /healthz and /readyz answer 200 unsigned', async () => {
        expect((await fetch(`${suite.running.sidecar.url}/healthz`)).status).to.equal(200);
        const ready = await fetch(`${suite.running.sidecar.url}/readyz`);
        expect(ready.status).to.equal(200);
        expect(await ready.json()).to.deep.equal({
          status: 'ready',
          problem: null,
          details: {
            crm_schema: { uf_id_unique: false, duplicate_users: 0, duplicate_user_links: [], location_types: true, option_values: true },
            // One server, not a cluster: node 1 of 1, no Galera state.
            database: { node: 1, nodes: 1, galera: null },
          },
        });
      });
    });
  });
});
