// Tokenizer through WASM: round trip on any bytes (invalid UTF-8 included), merges applied,
// bad files and bad ids rejected; the shipped vocabularies under models/ when present.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadCodec, KolmoError } from '../../web/lib/worker/codec.js';
import {
  invalidUtf8, pseudoRandomBytes, sampleTexts, shippedTokenizerPaths, smallTokenizerFile, utf8,
} from './helpers.mjs';

const codec = await loadCodec();

function assertRoundTrip(tokenizer, bytes, label) {
  const ids = tokenizer.encode(bytes);
  assert.ok(ids instanceof Uint32Array, label);
  for (const id of ids) assert.ok(id < tokenizer.eotId, `${label}: id ${id} out of range`);
  assert.deepEqual(tokenizer.decode(ids), bytes, label);
  return ids;
}

test('small tokenizer: sizes, counts and merges', () => {
  const tokenizer = codec.parseTokenizer(smallTokenizerFile());
  try {
    assert.equal(tokenizer.vocabSize, 256 + 15 + 1);
    assert.equal(tokenizer.eotId, tokenizer.vocabSize - 1);
    const counts = tokenizer.tokenCounts();
    assert.equal(counts.length, tokenizer.vocabSize);
    assert.ok(counts.every((c) => c >= 1));
    // Lowest rank first: 't h' (rank 0 -> 256), then '256 e' (rank 1 -> 257); the
    // ' t' merge (rank 2) never gets its chance inside ' the'.
    assert.deepEqual([...tokenizer.encode('the')], [257]);
    assert.deepEqual([...tokenizer.encode(' the')], [32, 257]);
    assert.deepEqual([...tokenizer.encode(' thin')], [32, 256, 261]);
  } finally {
    tokenizer.dispose();
  }
});

test('small tokenizer round-trips texts, invalid UTF-8 and random bytes', () => {
  const tokenizer = codec.parseTokenizer(smallTokenizerFile());
  try {
    for (const [name, text] of Object.entries(sampleTexts)) assertRoundTrip(tokenizer, utf8(text), name);
    invalidUtf8.forEach((bytes, i) => assertRoundTrip(tokenizer, bytes, `invalid utf-8 #${i}`));
    for (let seed = 1; seed <= 20; seed++) assertRoundTrip(tokenizer, pseudoRandomBytes(seed, 50 * seed), `random #${seed}`);
    assert.equal(tokenizer.encode(new Uint8Array(0)).length, 0);
    assert.equal(tokenizer.decode(new Uint32Array(0)).length, 0);
  } finally {
    tokenizer.dispose();
  }
});

test('tokenizer.decode rejects EOT and out-of-range ids with bad_argument', () => {
  const tokenizer = codec.parseTokenizer(smallTokenizerFile());
  try {
    assert.throws(() => tokenizer.decode([tokenizer.eotId]), { code: 'bad_argument' });
    assert.throws(() => tokenizer.decode([tokenizer.vocabSize]), { code: 'bad_argument' });
  } finally {
    tokenizer.dispose();
  }
});

test('malformed tokenizer files fail with bad_tokenizer', () => {
  const good = new TextDecoder().decode(smallTokenizerFile());
  const bad = [
    '',
    'kolmo-bpe 2\n',
    good.replace('vocab_size 272', 'vocab_size 273'),
    good.replace('merges 15', 'merges 16'),
    good.slice(0, good.lastIndexOf('\n', good.length - 2) + 1),  // last count missing
    good.replace('116 104\n', '116 300\n'),                        // merge of an unknown id
  ];
  for (const text of bad) {
    assert.throws(() => codec.parseTokenizer(utf8(text)), (e) => e instanceof KolmoError && e.code === 'bad_tokenizer');
  }
});

test('a disposed tokenizer refuses further use', () => {
  const tokenizer = codec.parseTokenizer(smallTokenizerFile());
  tokenizer.dispose();
  tokenizer.dispose();
  assert.throws(() => tokenizer.encode('x'), { code: 'bad_argument' });
});

for (const path of shippedTokenizerPaths()) {
  test(`shipped tokenizer ${path.split('/models/')[1]} round-trips any bytes`, () => {
    const tokenizer = codec.parseTokenizer(readFileSync(path));
    try {
      assert.ok(tokenizer.vocabSize > 256);
      for (const [name, text] of Object.entries(sampleTexts)) assertRoundTrip(tokenizer, utf8(text), name);
      invalidUtf8.forEach((bytes, i) => assertRoundTrip(tokenizer, bytes, `invalid utf-8 #${i}`));
      for (let seed = 1; seed <= 10; seed++) assertRoundTrip(tokenizer, pseudoRandomBytes(seed, 300), `random #${seed}`);
      const english = tokenizer.encode(sampleTexts.english);
      assert.ok(english.length < utf8(sampleTexts.english).length / 2, 'a trained vocabulary merges English');
    } finally {
      tokenizer.dispose();
    }
  });
}
