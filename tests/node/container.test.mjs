// Container and cm codec through WASM: pack/parse/verify/packBest/decodeFallback round trips,
// the file form, and the errors a damaged or foreign link must produce.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCodec, KolmoError } from '../../web/lib/worker/codec.js';
import { invalidUtf8, pseudoRandomBytes, sampleTexts, utf8 } from './helpers.mjs';

const codec = await loadCodec();
const isKolmoError = (code) => (e) => e instanceof KolmoError && e.code === code;

// Every text the fallbacks must restore exactly.
const texts = [
  ...Object.values(sampleTexts).map(utf8),
  ...invalidUtf8,
  pseudoRandomBytes(7, 1000),
  new Uint8Array(5000).fill(0x41),
];

test('cm codec round-trips texts, invalid UTF-8 and random bytes', () => {
  for (const text of texts) {
    const stream = codec.cmEncode(text);
    assert.deepEqual(codec.cmDecode(stream), text);
  }
  // Repetitive text compresses well.
  assert.ok(codec.cmEncode(new Uint8Array(5000).fill(0x41)).length < 40);
});

test('cm decode refuses output over maxTextBytes', () => {
  const stream = codec.cmEncode(utf8(sampleTexts.english));
  assert.throws(() => codec.cmDecode(stream, 10), isKolmoError('length_over_limit'));
});

test('packBest without a model round-trips through parse + decodeFallback', () => {
  for (const text of texts) {
    const { bytes, mode } = codec.containerPackBest({ text });
    assert.ok(mode === 'stored' || mode === 'cm');
    assert.ok(bytes.length <= text.length + 5, 'never bigger than stored (5 bytes of typo-proof framing)');
    assert.equal(bytes[0] >> 5, 6, 'new links are typo-proof (container version 6)');
    const view = codec.containerParse(bytes);
    assert.equal(view.mode, mode);
    assert.equal(view.modelIndex, 0);
    assert.deepEqual(codec.containerDecodeFallback(view), text);
    codec.containerVerify(view, text);
  }
});

test('packBest picks the lm body when it is the smallest', () => {
  const text = utf8(sampleTexts.english);
  const idHash = codec.modelIdHash('test-model');
  const { bytes, mode } = codec.containerPackBest({ text, lmBodies: [{ body: new Uint8Array([1, 2, 3]), payloadVersion: 1 }], modelIndex: 2, modelIdHash: idHash });
  assert.equal(mode, 'lm');
  const view = codec.containerParse(bytes);
  assert.equal(view.mode, 'lm');
  assert.equal(view.modelIndex, 2);
  assert.deepEqual(view.body, new Uint8Array([1, 2, 3]));
  codec.containerVerify(view, text, idHash);
  // The lm check binds the model: another model id fails it.
  assert.throws(() => codec.containerVerify(view, text, codec.modelIdHash('other-model')), isKolmoError('checksum_mismatch'));
  // lm bodies are not a fallback.
  assert.throws(() => codec.containerDecodeFallback(view), isKolmoError('bad_argument'));
});

test('pack stored + cm by hand, large model indexes, file form', () => {
  const text = utf8('hello, kolmo');
  const stored = codec.containerPack({ mode: 'stored', text, body: text });
  assert.equal(stored.length, text.length + 5); // header, text check, 3-byte syndrome trailer
  assert.equal(codec.containerPack({ mode: 'stored', text, body: text, legacy: true }).length, text.length + 3);
  assert.deepEqual(codec.containerDecodeFallback(codec.containerParse(stored)), text);

  const cm = codec.containerPack({ mode: 'cm', text, body: codec.cmEncode(text) });
  assert.deepEqual(codec.containerDecodeFallback(codec.containerParse(cm)), text);

  for (const modelIndex of [0, 6, 7, 300, 2 ** 32 - 1]) {
    const lm = codec.containerPack({ mode: 'lm', text, body: new Uint8Array([9]), modelIndex, modelIdHash: 'abc' });
    assert.equal(codec.containerParse(lm).modelIndex, modelIndex);
  }

  const file = codec.containerToFile(stored);
  assert.deepEqual([...file.subarray(0, 4)], [...utf8('KLMO')]);
  const view = codec.containerParseFile(file);
  assert.deepEqual(codec.containerDecodeFallback(view), text);
  assert.throws(() => codec.containerParseFile(stored), isKolmoError('bad_magic'));
  assert.throws(() => codec.containerParseFile(utf8('KL')), isKolmoError('truncated'));
});

test('lm container versions say how to decode the body: payload version, CRLF line breaks', () => {
  const text = utf8('line one\r\nline two\r\n');
  const lm = (/** @type {object} */ form) => codec.containerParse(codec.containerPack({ mode: 'lm', text, body: new Uint8Array([9]), modelIdHash: 'abc', ...form }));
  const fields = (/** @type {any} */ view) => ['version', 'lmPayloadVersion', 'crlfLineBreaks'].map((k) => view[k]);
  // Links of earlier releases: the version says it.
  assert.deepEqual(fields(lm({ legacy: true })), [1, 1, false]);
  assert.deepEqual(fields(lm({ lmPayloadVersion: 2, legacy: true })), [2, 2, false]);
  assert.deepEqual(fields(lm({ lmPayloadVersion: 2, crlfLineBreaks: true, legacy: true })), [3, 2, true]);
  assert.deepEqual(fields(lm({ lmPayloadVersion: 3, crlfLineBreaks: true, legacy: true })), [5, 3, true]);
  // Typo-proof links (version 6): the header's kind says it.
  assert.deepEqual(fields(lm({})), [6, 1, false]);
  assert.deepEqual(fields(lm({ lmPayloadVersion: 3 })), [6, 3, false]);
  assert.deepEqual(fields(lm({ lmPayloadVersion: 3, crlfLineBreaks: true })), [6, 3, true]);
  assert.throws(() => lm({ lmPayloadVersion: 2 }), isKolmoError('bad_argument')); // payload 2 is no longer written
  assert.throws(() => lm({ crlfLineBreaks: true }), isKolmoError('bad_argument'));
  assert.throws(() => codec.containerPack({ mode: 'cm', text, body: codec.cmEncode(text), crlfLineBreaks: true }), isKolmoError('bad_argument'));
  // The transform itself (src/include/kolmo/line_breaks.h): only when every line break is CRLF, exact back.
  assert.deepEqual(codec.lfLineBreaks(text), utf8('line one\nline two\n'));
  assert.deepEqual(codec.restoreCrlfLineBreaks(utf8('line one\nline two\n')), text);
  assert.equal(codec.lfLineBreaks(utf8('one\r\ntwo\nthree')), null);
  assert.equal(codec.lfLineBreaks(utf8('no line break')), null);
  assert.throws(() => codec.restoreCrlfLineBreaks(utf8('\n\n'), 3), isKolmoError('length_over_limit'));
});

test('pack rejects a stored body that differs from the text, and a model index for stored', () => {
  const text = utf8('abc');
  assert.throws(() => codec.containerPack({ mode: 'stored', text, body: utf8('abd') }), isKolmoError('bad_argument'));
  assert.throws(() => codec.containerPack({ mode: 'stored', text, body: text, modelIndex: 1 }), isKolmoError('bad_argument'));
  assert.throws(() => codec.containerPack({ mode: 'nope', text, body: text }), isKolmoError('bad_argument'));
});

test('damaged containers: truncated, unknown version and mode, altered text, limits', () => {
  const text = utf8(sampleTexts.english);
  const { bytes } = codec.containerPackBest({ text });
  assert.throws(() => codec.containerParse(new Uint8Array(0)), isKolmoError('truncated'));
  assert.throws(() => codec.containerParse(bytes.subarray(0, 2)), isKolmoError('truncated'));

  for (const version of [0, 7]) {
    const otherVersion = bytes.slice();
    otherVersion[0] = (otherVersion[0] & 0x1f) | (version << 5); // a version no writer uses yet
    assert.throws(() => codec.containerParse(otherVersion), isKolmoError('unknown_version'));
  }
  // Any change to a typo-proof container: its syndrome fails before anything is read.
  for (let i = 0; i < bytes.length; i++) {
    const changed = bytes.slice();
    changed[i] ^= 0x01;
    assert.throws(() => codec.containerParse(changed), (e) => e instanceof KolmoError && (e.code === 'damaged_link' || (i === 0 && e.code === 'unknown_version')));
  }

  const legacy = codec.containerPack({ mode: 'stored', text, body: text, legacy: true });
  const reservedMode = legacy.slice();
  reservedMode[0] |= 0x18; // mode field = 3
  assert.throws(() => codec.containerParse(reservedMode), isKolmoError('unknown_mode'));

  // A flipped check bit of an earlier release's link: parses, but decodeFallback's verification fails.
  const badCheck = legacy.slice();
  badCheck[1] ^= 0x01;
  assert.throws(() => codec.containerDecodeFallback(codec.containerParse(badCheck)), isKolmoError('checksum_mismatch'));
  assert.throws(() => codec.containerVerify(codec.containerParse(bytes), utf8('another text')), isKolmoError('checksum_mismatch'));

  assert.throws(() => codec.containerPackBest({ text, limits: { maxTextBytes: 10 } }), isKolmoError('length_over_limit'));
  assert.throws(() => codec.containerParse(bytes, { maxContainerBytes: 4 }), isKolmoError('length_over_limit'));
});

test('a stored link with damaged body bytes never decodes silently', () => {
  const text = utf8('The quick brown fox jumps over the lazy dog');
  for (const legacy of [false, true]) {
    const stored = codec.containerPack({ mode: 'stored', text, body: text, legacy });
    let caught = 0;
    for (let i = 3; i < stored.length; i++) {
      const damaged = stored.slice();
      damaged[i] ^= 0x20;
      // A typo-proof link is refused at parse; an earlier release's at the text check.
      assert.throws(() => codec.containerDecodeFallback(codec.containerParse(damaged)), isKolmoError(legacy ? 'checksum_mismatch' : 'damaged_link'));
      caught++;
    }
    assert.equal(caught, stored.length - 3);
  }
});

test('container -> url text -> container round trip', () => {
  const text = utf8(sampleTexts.chinese);
  const { bytes } = codec.containerPackBest({ text });
  const fragment = codec.urlEncode(bytes);
  assert.deepEqual(codec.containerDecodeFallback(codec.containerParse(codec.urlDecode(fragment))), text);
});

test('textCheck16 equals the check stored in a container', () => {
  const text = utf8('check me');
  const view = codec.containerParse(codec.containerPackBest({ text }).bytes);
  assert.equal(view.check, codec.textCheck16('0', text) >> 8); // version 6 keeps the top 8 bits
  const legacy = codec.containerParse(codec.containerPack({ mode: 'stored', text, body: text, legacy: true }));
  assert.equal(legacy.check, codec.textCheck16('0', text));
  assert.match(codec.modelIdHash('kolmo-en-zh-v1'), /^[0-9a-f]{16}$/);
  assert.throws(() => codec.textCheck16('not hex', text), isKolmoError('bad_argument'));
});

test('status names are stable', () => {
  const names = ['ok', 'truncated', 'bad_magic', 'unknown_version', 'unknown_mode', 'unknown_model',
    'checksum_mismatch', 'length_over_limit', 'corrupt', 'bad_url_text', 'non_finite_logits',
    'bad_argument', 'bad_tokenizer', 'out_of_memory', 'bad_model', 'damaged_link'];
  names.forEach((name, i) => assert.equal(codec.statusName(i), name));
  assert.equal(codec.statusName(999), 'unknown_status');
});
