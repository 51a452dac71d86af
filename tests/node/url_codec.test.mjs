// URL text codec through WASM (web/lib/worker/codec.js): round trips, lengths, rejected text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCodec, KolmoError } from '../../web/lib/worker/codec.js';
import { pseudoRandomBytes } from './helpers.mjs';

const codec = await loadCodec();

test('url codec round-trips every length from 0 to 100 bytes', () => {
  for (let size = 0; size <= 100; size++) {
    const bytes = pseudoRandomBytes(size, size);
    const text = codec.urlEncode(bytes);
    assert.equal(text.length, codec.urlEncodedLength(size));
    assert.match(text, /^[0-9A-Za-z]*$/);
    assert.deepEqual(codec.urlDecode(text), bytes);
  }
});

test('url codec round-trips all-zero and all-0xff chunks', () => {
  for (const fill of [0, 0xff]) {
    for (const size of [1, 31, 32, 33, 64, 65]) {
      const bytes = new Uint8Array(size).fill(fill);
      assert.deepEqual(codec.urlDecode(codec.urlEncode(bytes)), bytes);
    }
  }
});

test('a chunk of 32 bytes takes 43 characters', () => {
  assert.equal(codec.urlEncode(new Uint8Array(32)).length, 43);
  assert.equal(codec.urlEncode(new Uint8Array(64)).length, 86);
});

test('url decode rejects text outside the alphabet with bad_url_text', () => {
  for (const bad of ['ab-c', 'abc ', '%41', 'ab#c', 'abcé', 'ab\u0000c', 'z']) {
    assert.throws(() => codec.urlDecode(bad), (e) => e instanceof KolmoError && e.code === 'bad_url_text', JSON.stringify(bad));
  }
});

test('url decode rejects non-canonical text (a chunk value too large for its bytes)', () => {
  // 2 characters carry one byte: 'zz' = 61*62+61 = 3843 > 255.
  assert.throws(() => codec.urlDecode('zz'), { code: 'bad_url_text' });
  assert.throws(() => codec.urlDecode('z'.repeat(43)), { code: 'bad_url_text' });
});

test('url decode rejects a non-string argument', () => {
  assert.throws(() => codec.urlDecode(new Uint8Array(3)), { code: 'bad_argument' });
});
