import { expect } from 'chai';
import fc from 'fast-check';
import { findDuplicateKey } from '../../sidecar/src/entry-points/http/json-duplicate-keys';
import { parseBody, validateEventBody } from '../../sidecar/src/entry-points/http/request-schemas';
import { AppError } from '../../sidecar/src/lib/errors';

/** A generated JSON text together with what it is known to hold (from how it was built). */
interface Built {
  text: string;
  duplicate: boolean;
}

/** The key as a JSON string with every UTF-16 unit written as \uXXXX. */
function escapeAll(key: string): string {
  let out = '"';
  for (let i = 0; i < key.length; i++) out += `\\u${key.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return `${out}"`;
}

describe('findDuplicateKey', () => {
  it('when an object repeats a key, then that key is returned', () => {
    expect(findDuplicateKey('{"user_id":1,"user_id":2}')).to.equal('user_id');
    expect(findDuplicateKey('{"event":"wp_login","user_id":1,"event":"deleted_user"}')).to.equal('event');
  });

  it('when the keys differ only in escaping, then they are the same key', () => {
    expect(findDuplicateKey('{"user_id":1,"user\\u005fid":2}')).to.equal('user_id');
    expect(findDuplicateKey('{"a\\"b":1,"a\\u0022b":2}')).to.equal('a"b');
  });

  it('when a nested object repeats a key, then it is found too', () => {
    expect(findDuplicateKey('{"a":[{"x":1},{"y":2,"y":3}]}')).to.equal('y');
    expect(findDuplicateKey('{"a":{"b":{"c":1,"c":1}}}')).to.equal('c');
  });

  it('when equal keys live in different objects, or a value equals a key, then there is no duplicate', () => {
    expect(findDuplicateKey('{"a":{"a":{"a":"a"}},"b":["a","a"]}')).to.equal(null);
    expect(findDuplicateKey('[{"a":1},{"a":2}]')).to.equal(null);
    expect(findDuplicateKey('{"a":"{\\"a\\":1,\\"a\\":2}"}')).to.equal(null);
    expect(findDuplicateKey('{"event":"user_register","user_id":5}')).to.equal(null);
    expect(findDuplicateKey('"x"')).to.equal(null);
    expect(findDuplicateKey('{}')).to.equal(null);
  });

  it('when keys differ only in case, then they are different keys', () => {
    expect(findDuplicateKey('{"user_id":1,"USER_ID":2}')).to.equal(null);
  });

  it('when nesting is 20,000 levels deep, then it answers without a stack overflow', () => {
    const deep = '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000);
    expect(findDuplicateKey(deep)).to.equal(null);
    expect(findDuplicateKey('['.repeat(20_000) + '{"k":1,"k":2}' + ']'.repeat(20_000))).to.equal('k');
  });

  it('when given any JSON text (seeded, 3,000 cases), then it finds a duplicate exactly when the generator wrote one', () => {
    // Objects are built from entry lists, so keys may repeat; whether one does is known by construction.
    const key = fc.oneof(fc.constantFrom('a', 'b', 'user_id', 'event', '\u00e9', '"', '\\', ':', ','), fc.string({ maxLength: 3 }));
    const { json } = fc.letrec<{ json: Built }>((tie) => ({
      json: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.jsonValue({ maxDepth: 0 }).map((v) => ({ text: JSON.stringify(v), duplicate: false })),
        fc.array(tie('json'), { maxLength: 4 }).map((items) => ({
          text: `[ ${items.map((i) => i.text).join(' , ')} ]`,
          duplicate: items.some((i) => i.duplicate),
        })),
        fc.array(fc.tuple(key, tie('json'), fc.boolean()), { maxLength: 5 }).map((entries) => ({
          // Each key is written plainly or with every character \u-escaped: equal keys either way.
          text: `{${entries
            .map(([k, v, escaped]) => `${escaped ? escapeAll(k) : JSON.stringify(k)} :\n${v.text}`)
            .join(',')}}`,
          duplicate: new Set(entries.map(([k]) => k)).size < entries.length || entries.some(([, v]) => v.duplicate),
        })),
      ),
    }));
    fc.assert(
      fc.property(json, (built) => {
        JSON.parse(built.text); // the generator makes valid JSON only
        expect(findDuplicateKey(built.text) !== null).to.equal(built.duplicate);
      }),
      { seed: 20240605, numRuns: 3000 },
    );
  });
});

describe('parseBody and duplicated keys', () => {
  it('when a signed event body repeats user_id, then it is refused with 400 naming the key', () => {
    let error: unknown;
    try {
      parseBody(Buffer.from('{"event":"user_register","user_id":1,"user_id":2}'), validateEventBody);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(AppError);
    expect((error as AppError).httpStatus).to.equal(400);
    expect((error as AppError).message).to.match(/"user_id" appears more than once/);
  });

  it('when the body has no duplicated key, then it is parsed as before', () => {
    expect(parseBody(Buffer.from('{"event":"wp_login","user_id":7}'), validateEventBody)).to.deep.equal({ event: 'wp_login', user_id: 7 });
  });
});
