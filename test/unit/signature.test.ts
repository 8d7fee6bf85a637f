import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { sign, signatureProblem } from '../../sidecar/src/entry-points/http/signature';

const secret = 's'.repeat(40);

describe('signature', () => {
  it('when signing, then it is sha256= and the hex HMAC of "timestamp.body" (the documented scheme)', () => {
    const expected = createHmac('sha256', secret).update('1700000000.{"a":1}').digest('hex');
    expect(sign(secret, '1700000000', '{"a":1}')).to.equal(`sha256=${expected}`);
  });

  it('when the signature, timestamp and body agree within 300 s, then there is no problem', () => {
    const now = 1_700_000_000;
    const body = Buffer.from('{"event":"wp_login","user_id":3}');
    expect(signatureProblem(secret, String(now - 300), sign(secret, String(now - 300), body), body, now)).to.equal(null);
  });

  it('when anything is off, then the problem is named', () => {
    const now = 1_700_000_000;
    const body = Buffer.from('{}');
    const good = sign(secret, String(now), body);
    expect(signatureProblem(secret, undefined, good, body, now)).to.match(/missing X-Bridge-Timestamp/);
    expect(signatureProblem(secret, String(now), undefined, body, now)).to.match(/missing X-Bridge-Signature/);
    expect(signatureProblem(secret, '17e8', good, body, now)).to.match(/not a unix time/);
    expect(signatureProblem(secret, String(now - 301), sign(secret, String(now - 301), body), body, now)).to.match(/300 s/);
    expect(signatureProblem(secret, String(now), good.replace('sha256=', 'sha1='), body, now)).to.match(/not sha256=/);
    expect(signatureProblem(secret, String(now), good, Buffer.from('{ }'), now)).to.match(/does not match/);
  });
});
