import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { sign, signatureProblem, signedPath } from '../../sidecar/src/entry-points/http/signature';

const secret = 's'.repeat(40);

describe('signature v2', () => {
  it('when signing, then it is v2= and the hex HMAC of "timestamp\\nMETHOD\\npath\\nbody" (the documented scheme)', () => {
    const expected = createHmac('sha256', secret).update('1700000000\nPOST\n/v1/events?blog_id=2\n{"a":1}').digest('hex');
    expect(sign(secret, { timestamp: '1700000000', method: 'post', path: '/v1/events?blog_id=2', rawBody: '{"a":1}' })).to.equal(`v2=${expected}`);
    // The same vector is checked against the plugin's PHP signer (wp-plugin-shim/tests).
    expect(expected).to.equal('77e6055f893d6e6d88278338642ff9c788ef016a0e5be1a5b17377bb9e2a4801');
  });

  it('when the signature, timestamp, method, path and body agree within 300 s, then there is no problem', () => {
    const now = 1_700_000_000;
    const request = { method: 'POST', path: '/v1/events', rawBody: Buffer.from('{"event":"wp_login","user_id":3}') };
    const timestamp = String(now - 300);
    expect(signatureProblem(secret, timestamp, sign(secret, { ...request, timestamp }), request, now)).to.equal(null);
  });

  it('when anything is off, then the problem is named', () => {
    const now = 1_700_000_000;
    const ts = String(now);
    const request = { method: 'GET', path: '/v1/links?user_ids=1', rawBody: Buffer.alloc(0) };
    const good = sign(secret, { ...request, timestamp: ts });
    expect(signatureProblem(secret, undefined, good, request, now)).to.match(/missing X-Bridge-Timestamp/);
    expect(signatureProblem(secret, ts, undefined, request, now)).to.match(/missing X-Bridge-Signature/);
    expect(signatureProblem(secret, '17e8', good, request, now)).to.match(/not a unix time/);
    expect(signatureProblem(secret, String(now - 301), sign(secret, { ...request, timestamp: String(now - 301) }), request, now)).to.match(/300 s/);
    expect(signatureProblem(secret, ts, good.replace('v2=', 'v3='), request, now)).to.match(/not v2=/);
    expect(signatureProblem(secret, ts, good, { ...request, rawBody: Buffer.from(' ') }, now)).to.match(/does not match/);
    expect(signatureProblem(secret, ts, good, { ...request, method: 'POST' }, now)).to.match(/does not match/);
    expect(signatureProblem(secret, ts, good, { ...request, path: '/v1/links?user_ids=2' }, now)).to.match(/does not match/);
    expect(signatureProblem(secret, ts, good, { ...request, path: '/v1/links' }, now)).to.match(/does not match/);
  });

  it('when a request is signed the old way (sha256=), then the problem says to upgrade the plugin', () => {
    const now = 1_700_000_000;
    const old = `sha256=${createHmac('sha256', secret).update(`${now}.`).digest('hex')}`;
    expect(signatureProblem(secret, String(now), old, { method: 'GET', path: '/v1/ping', rawBody: '' }, now)).to.match(/upgrade the contact-bridge plugin/);
  });

  it('when the request target arrives under a prefix or in absolute form, then the signed path starts at /v1/', () => {
    expect(signedPath('/v1/ping')).to.equal('/v1/ping');
    expect(signedPath('http://127.0.0.1:8787/v1/links?user_ids=1')).to.equal('/v1/links?user_ids=1');
    expect(signedPath('/v1/links?next=/v1/x')).to.equal('/v1/links?next=/v1/x');
  });
});
