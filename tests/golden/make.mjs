// Makes the golden links (tests/golden/vectors.json, links/, texts/) with the CLI, as a user
// would: node bin/kolmo.js compress --url --backend node [--mode M] FILE.
//
//   node tests/golden/make.mjs
//
// Append-only: a vector that exists is never rewritten (links that shipped must decode
// forever; tests/golden/README.md). Add a spec below and run this to add one; an old vector that
// fails means the change broke shipped links.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evalTexts } from '../conformance/eval_texts.mjs';
import { loadShippedFiles, openShippedModel } from '../conformance/shipped_model.mjs';
import { encodeTokens, modelInput } from '../../web/lib/worker/pipeline.js';
import { evalConcat, sha256 } from './sources.mjs';
import { invalidUtf8 } from '../node/helpers.mjs';
import { Kolmo } from '../../web/lib/index.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = join(here, '../..');
const vectorsFile = join(here, 'vectors.json');
const vectors = existsSync(vectorsFile) ? JSON.parse(readFileSync(vectorsFile, 'utf8')) : [];
const { codec, tokenizer, entry } = await loadShippedFiles();
const kMaxLmTokens = codec.maxLmTokens(); // src/session.h: the model codes at most this many tokens

const texts = evalTexts();
const categories = [...new Set(texts.map((t) => t.category))];
// Per category, the longest text up to 1.5 KB: real content, quick to decode.
const perCategory = categories.map((category) => {
  const text = texts.filter((t) => t.category === category && t.bytes.length <= 1536).sort((a, b) => b.bytes.length - a.bytes.length)[0];
  return { name: `eval-${category}`, description: `eval text ${text.name} (${text.bytes.length} B)`, bytes: text.bytes };
});
const longest = texts.filter((t) => t.category === 'en-prose').sort((a, b) => b.bytes.length - a.bytes.length)[0];

/** The longest prefix of evalConcat with exactly `tokens` tokens. */
function evalConcatWithTokens(tokens) {
  let lo = 1;
  let hi = 8 * tokens; // bytes; > 1 byte per token on this text
  const count = (n) => tokenizer.encode(evalConcat(n)).length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (count(mid) <= tokens) lo = mid;
    else hi = mid - 1;
  }
  for (let n = lo; n > 0; n--) if (count(n) === tokens) return n;
  throw new Error(`no prefix with ${tokens} tokens`);
}

const utf8 = (/** @type {string} */ s) => new TextEncoder().encode(s);
const invalid = new Uint8Array(invalidUtf8.flatMap((b) => [...b]));
const lmMaxBytes = evalConcatWithTokens(kMaxLmTokens - 1); // + EOT = kMaxLmTokens
const limits = codec.defaultContainerLimits();
const v1Specs = [
  ...perCategory,
  { name: 'empty', description: 'the empty text', bytes: new Uint8Array(0) },
  { name: 'one-char', description: 'one character', bytes: utf8('a') },
  { name: 'one-char-lm', description: 'one two-byte character, coded with the model', bytes: utf8('é'), mode: 'lm' },
  { name: 'invalid-utf8', description: 'bytes that are not UTF-8 (every byte value, broken sequences)', bytes: invalid },
  { name: 'invalid-utf8-lm', description: 'bytes that are not UTF-8, coded with the model', bytes: invalid, mode: 'lm' },
  {
    name: 'over-context', description: `eval text ${longest.name}: ${tokenizer.encode(longest.bytes).length} tokens, several context windows of ${entry.context}`,
    bytes: longest.bytes,
  },
  {
    name: 'largest-lm', description: `the longest text the model codes: ${kMaxLmTokens - 1} tokens + EOT (eval texts repeated)`,
    generated: { evalConcat: lmMaxBytes }, mode: 'lm',
  },
  {
    name: 'largest-text', description: `the largest text a link may hold: ${limits.maxTextBytes} bytes (eval texts repeated; model-free)`,
    generated: { evalConcat: limits.maxTextBytes },
  },
];
// Container version 2 (LM payload v2: the in-document model mixed into every decision; FORMAT.md
// §5.4, 2026-12): each category's text and the model's edge cases again, coded with the model.
const kV2From = new Set([...perCategory.map((s) => s.name), 'one-char-lm', 'invalid-utf8-lm', 'over-context']);
const v2Specs = v1Specs.filter((s) => kV2From.has(s.name))
  .map((s) => ({ ...s, name: `v2-${s.name}`, mode: 'lm', description: `LM payload v2: ${s.description}` }));
// Each later default model (km2, ...): the same LM payload v2 links again, made with it and named
// after its family (km2-v2-eval-code, ...); km1's links above keep their names.
const family = entry.id.split('-')[0];
const modelSpecs = family === 'km1' ? [] : v2Specs.map((s) => ({ ...s, name: `${family}-${s.name}`, description: `${family}: ${s.description}` }));
// Container version 3 (FORMAT.md §5.5, 2026-12): texts whose every line break is CRLF, coded with
// LF breaks; made with the default model from km2 on.
const toCrlf = (/** @type {Uint8Array} */ bytes) => utf8(new TextDecoder().decode(bytes).replace(/\r?\n/g, '\r\n'));
const crlfSpecs = family === 'km1' ? [] : [
  ...['code', 'en-prose', 'markdown'].map((category) => {
    const spec = /** @type {{name: string, description: string, bytes: Uint8Array}} */ (perCategory.find((s) => s.name === `eval-${category}`));
    return { name: `${family}-v3-crlf-${category}`, description: `${family}: ${spec.description} with CRLF line breaks`, bytes: toCrlf(spec.bytes), mode: 'lm' };
  }),
  { name: `${family}-v3-crlf-only`, description: `${family}: one CRLF and nothing else`, bytes: utf8('\r\n'), mode: 'lm' },
];
// Container versions 4 and 5 (LM payload v3: span headers over a family of grids, FORMAT.md
// §5.6, 2026-12): every category, the model's edge cases, a text that fills one block of span
// headers exactly (256 coded tokens) and one a token past it, and CRLF texts (version 5). Made
// with the library's encoder at payload 3 (the CLI takes the smaller of payloads 1 and 3, which
// for the tiniest texts is 1).
const blockText = evalConcatWithTokens(255);
const blockPlusOne = evalConcatWithTokens(256);
const v4Specs = family === 'km1' ? [] : [
  ...perCategory,
  ...v1Specs.filter((s) => ['one-char-lm', 'invalid-utf8-lm', 'over-context'].includes(s.name)),
  { name: 'one-block', description: 'eval texts, 255 tokens + EOT: one full block of span headers', bytes: evalConcat(blockText) },
  { name: 'block-plus-one', description: 'eval texts, 256 tokens + EOT: a second block of one token', bytes: evalConcat(blockPlusOne) },
  ...crlfSpecs.map((s) => ({ ...s, name: s.name.replace(`${family}-v3-`, '') })),
].map((s) => ({ ...s, name: `${family}-v4-${s.name.replace(`${family}-`, '')}`, mode: 'lm', payloadVersion: 3, description: `${family}, LM payload v3: ${s.description}` }));
// Container version 6 (typo-proof framing, every mode): what the CLI makes on the core engine with
// the default model: every category (auto mode), the edge cases, with the model where it is
// optional (its payload 1 or 3, whichever the encoder picks), and CRLF texts.
const v6Specs = family === 'km1' ? [] : [
  ...perCategory,
  ...v1Specs.filter((s) => ['empty', 'one-char', 'one-char-lm', 'invalid-utf8', 'invalid-utf8-lm', 'over-context'].includes(s.name)),
  { name: 'one-block', description: 'eval texts, 255 tokens + EOT: one full block of span headers', bytes: evalConcat(blockText), mode: 'lm' },
  ...crlfSpecs.filter((s) => s.name.endsWith('-code') || s.name.endsWith('-en-chat') || s.name.endsWith('-only')).map((s) => ({ ...s, name: s.name.replace(`${family}-v3-`, '') })),
].map((s) => ({ ...s, name: `${family}-v6-${s.name.replace(`${family}-`, '')}`, backend: 'core', description: `${family}, typo-proof: ${s.description}` }));
// Segmented links (container version 6, kinds 3 and 4; FORMAT.md §5.7, 2026-12): the longest text
// that keeps one stream (8,191 tokens + EOT), one token more (2 segments), four segments (the CLI,
// the product's rule); and, with a small segment rule (the library's segmentRule: any cut is a
// valid link), many segments of an eval text and the same with CRLF line breaks (kind 4).
const kSmallRule = { segmentTokens: 256, aboveTokens: 512 };
const segSpecs = family === 'km1' ? [] : [
  { name: 'seg-at-threshold', description: 'eval texts, 8,191 tokens + EOT: the longest text that stays one stream', generated: { evalConcat: evalConcatWithTokens(8191) } },
  { name: 'seg-over-threshold', description: 'eval texts, 8,192 tokens + EOT: just over the threshold, 2 segments', generated: { evalConcat: evalConcatWithTokens(8192) } },
  { name: 'seg-four', description: 'eval texts, 12,400 tokens: 4 segments', generated: { evalConcat: evalConcatWithTokens(12400) } },
  { name: 'seg-small-many', description: `eval text ${longest.name} in segments of ~256 tokens`, bytes: longest.bytes, segmentRule: kSmallRule },
  { name: 'seg-small-crlf', description: `eval text ${longest.name} with CRLF line breaks in segments of ~256 tokens`, bytes: toCrlf(longest.bytes), segmentRule: kSmallRule },
].map((s) => ({ ...s, name: `${family}-v6-${s.name}`, backend: 'core', mode: 'lm', description: `${family}, typo-proof: ${s.description}` }));
// Container versions 2-5 were written while km2 was the default: later models get links of the
// version the writer makes now (6), and of its segmented kinds the cheap ones to decode plus one
// just over the threshold (the product's rule, two full segments).
const writtenNow = family === 'km2' ? [...modelSpecs, ...crlfSpecs, ...v4Specs, ...v6Specs, ...segSpecs]
  : [...v6Specs, ...segSpecs.filter((s) => !s.name.endsWith('-seg-at-threshold') && !s.name.endsWith('-seg-four'))];
const specs = [...v1Specs, ...v2Specs, ...writtenNow];

/** A link of LM payload `payloadVersion`, made with the library's pipeline (node backend). */
async function linkWithPayload(bytes, payloadVersion) {
  lm ??= (await openShippedModel({ backend: 'node' })).lm;
  const coded = modelInput(codec, lm, bytes);
  const { payload } = await encodeTokens({ codec, lm, ids: coded.ids, payloadVersions: [payloadVersion] });
  const container = codec.containerPack({
    mode: 'lm', text: bytes, body: payload, modelIndex: entry.index, modelIdHash: entry.id_hash,
    lmPayloadVersion: payloadVersion, crlfLineBreaks: coded.crlfLineBreaks,
  });
  return codec.urlEncode(container);
}
let lm = null;

const work = mkdtempSync(join(tmpdir(), 'kolmo-golden-'));
mkdirSync(join(here, 'links'), { recursive: true });
mkdirSync(join(here, 'texts'), { recursive: true });
try {
  for (const spec of specs) {
    if (vectors.some((v) => v.name === spec.name)) continue;
    const bytes = spec.bytes ?? evalConcat(spec.generated.evalConcat);
    const input = join(work, spec.name);
    writeFileSync(input, bytes);
    const args = [join(repoRoot, 'bin/kolmo.js'), 'compress', '--url', '--backend', spec.backend ?? 'node', '--quiet', ...(spec.mode ? ['--mode', spec.mode] : []), input];
    let link;
    if (spec.payloadVersion) {
      link = await linkWithPayload(bytes, spec.payloadVersion);
    } else if (spec.segmentRule) {
      const kolmo = new Kolmo({ segmentRule: spec.segmentRule, workers: 2 });
      link = (await kolmo.compress(bytes, { modes: ['lm'] })).fragment;
      kolmo.dispose();
    } else {
      const run = spawnSync(process.execPath, args, { maxBuffer: 1 << 30 });
      if (run.status !== 0) throw new Error(`${spec.name}: ${run.stderr}`);
      link = run.stdout.toString().trim();
    }
    const view = codec.containerParse(codec.urlDecode(link));
    writeFileSync(join(here, 'links', `${spec.name}.txt`), link + '\n');
    const text = spec.bytes ? { file: `texts/${spec.name}.bin` } : { generated: spec.generated };
    if (spec.bytes) writeFileSync(join(here, text.file), bytes);
    vectors.push({
      name: spec.name, description: spec.description,
      version: view.version, mode: view.mode, model: view.mode === 'lm' ? entry.id : null, modelIndex: view.mode === 'lm' ? view.modelIndex : null,
      textBytes: bytes.length, textSha256: sha256(bytes), text, link: `links/${spec.name}.txt`, linkChars: link.length,
      madeWith: `kolmo ${JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version}: ${spec.payloadVersion
        ? `tests/golden/make.mjs linkWithPayload(FILE, ${spec.payloadVersion}) (encodeTokens + containerPack, backend node)`
        : spec.segmentRule ? `new Kolmo({segmentRule: ${JSON.stringify(spec.segmentRule)}}).compress(FILE, {modes: ['lm']})`
          : args.slice(1).join(' ').replace(input, 'FILE').replace(repoRoot + '/', '')}`,
    });
    console.log(`${spec.name}: ${view.mode}, ${bytes.length} B -> ${link.length} chars`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
writeFileSync(vectorsFile, JSON.stringify(vectors, null, 1) + '\n');
