/**
 * Operability: every refused request leaves one structured log line with its reason and
 * request id — never the secret, the signature or the body — in the real process's stdout,
 * and is counted in /metrics.
 */
import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { TEST_SECRET } from '../support/sidecar';
import { startSidecarProcess, type SidecarProcess } from '../support/sidecar-process';
import { SignedClient } from '../../tools/signed-client';
import { sleep } from './reliability-support';

const MARKER = 'zz-body-marker-7f3a9c';

describe('reliability: refused requests are logged', () => {
  let db: TestDatabase;
  let sidecar: SidecarProcess;

  before(async () => {
    db = await createTestDatabase();
    sidecar = await startSidecarProcess(db.url, { LOG_LEVEL: 'info' });
  });
  after(async () => {
    if (sidecar.child.exitCode === null) sidecar.child.kill('SIGTERM');
    await sidecar.exited;
    await db.drop();
  });

  it('when requests are refused for each reason, then each leaves one warn line with code, path and request id, and no secret or body', async () => {
    const api = sidecar.client;
    const json = { 'Content-Type': 'application/json' };
    const wrongSecret = new SignedClient({ baseUrl: sidecar.url, secret: `${MARKER}-wrong-secret-0123456789` });
    const bodyWith = (extra: string) => `{"event":"user_register","user_id":"${MARKER}${extra}"}`;
    const cases: Array<{ id: string; code: string; send: (headers: Record<string, string>) => Promise<{ status: number }> }> = [
      { id: 'unsigned', code: 'UNAUTHORIZED', send: (h) => api.raw('POST', '/v1/events', bodyWith('a'), { ...json, ...h }) },
      { id: 'wrong-secret', code: 'UNAUTHORIZED', send: (h) => wrongSecret.post('/v1/events', bodyWith('b'), h) },
      { id: 'bad-body', code: 'BAD_REQUEST', send: (h) => api.post('/v1/events', bodyWith('c'), h) },
      { id: 'duplicate-key', code: 'BAD_REQUEST', send: (h) => api.post('/v1/events', `{"event":"wp_login","user_id":1,"user_id":2,"note":"${MARKER}"}`, h) },
      { id: 'too-large', code: 'PAYLOAD_TOO_LARGE', send: (h) => api.post('/v1/events', `{"pad":"${MARKER.repeat(5000)}"}`, h) },
      { id: 'not-json', code: 'UNSUPPORTED_MEDIA_TYPE', send: (h) => api.raw('POST', '/v1/events', `user_id=${MARKER}`, { 'Content-Type': 'text/plain', ...api.headersFor('POST', '/v1/events', `user_id=${MARKER}`), ...h }) },
      { id: 'no-route', code: 'NOT_FOUND', send: (h) => api.get("/v1/nothing-here", h) },
    ];

    const statuses: number[] = [];
    for (const c of cases) statuses.push((await c.send({ 'X-Request-Id': `req-${c.id}` })).status);
    await sleep(200); // let the child flush stdout
    const lines = sidecar.output().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const metrics = await fetch(`${sidecar.url}/metrics`).then((r) => r.text());

    expect(statuses).to.deep.equal([401, 401, 400, 400, 413, 415, 404]);
    for (const c of cases) {
      const mine = lines.filter((l) => l.requestId === `req-${c.id}` && l.level !== 'debug');
      expect(mine, `log lines of ${c.id}`).to.have.length(1);
      expect(mine[0]).to.include({ level: 'warn', code: c.code, service: 'contact-bridge' });
      expect(String(mine[0].msg)).to.match(/^request refused: /);
      expect(mine[0].path, c.id).to.be.a('string');
      expect(mine[0].time, c.id).to.be.a('string');
    }
    const all = sidecar.output();
    expect(all).to.not.include(TEST_SECRET);
    expect(all).to.not.include(MARKER);
    expect(all).to.not.match(/(sha256|v2)=[0-9a-f]{64}/);
    expect(metrics).to.match(/contact_bridge_requests_refused_total\{reason="UNAUTHORIZED"\} 2/);
    expect(metrics).to.match(/contact_bridge_requests_refused_total\{reason="BAD_REQUEST"\} 2/);
  });
});
