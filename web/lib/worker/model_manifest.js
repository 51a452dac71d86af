// Model manifest and model-file checks: a model is trusted only if its files hash to its id.
//
// models/manifest.json lists every model id ever shipped with its link index, shape and files
// (bytes, sha256); `default` names the model new links use. The id is derived from the files
// that decide what a link decodes to (see models/recipe/make_card.py):
//   digest = sha256("kolmo-model 1\nmodel.onnx <sha256>\ntokenizer.kbpe <sha256>\n")
//   id     = FAMILY + "-" + first 16 hex digits of digest    (those 64 bits are the link's model id hash)
// FAMILY ("km1", "km2", ...) is a label for people; the 64 bits are what the files must hash to.
// No DOM, no ONNX Runtime here: works in browsers, workers and Node (WebCrypto).
import { KolmoError } from '../shared/errors.js';

// A model id: a family label ("km" and a digit), a dash, the 64-bit hash in lowercase hex.
const ID_PATTERN = /^km[0-9]-([0-9a-f]{16})$/;

/** @param {Uint8Array|string} data @returns {Promise<string>} lowercase hex sha256 */
export async function sha256Hex(data) {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The 16 hex digits of a model id's hash for the sha256 hex digests of model.onnx and tokenizer.kbpe. */
export async function modelIdHashHexFromFileHashes(onnxSha256, tokenizerSha256) {
  const digest = await sha256Hex(`kolmo-model 1\nmodel.onnx ${onnxSha256}\ntokenizer.kbpe ${tokenizerSha256}\n`);
  return digest.slice(0, 16);
}

/** A model id's hash part (16 lowercase hex digits); a malformed id is 'unknown_model'. */
function idHashHex(/** @type {string} */ id) {
  const match = ID_PATTERN.exec(id);
  if (!match) throw new KolmoError('unknown_model', `malformed model id ${JSON.stringify(id)}`);
  return match[1];
}

/** The 64-bit model id hash that the link checksum covers, as a BigInt. */
export function modelIdHash(id) {
  return BigInt('0x' + idHashHex(id));
}

/**
 * Validates a parsed manifest and returns the entry of `id` (default: the manifest's default).
 * @param {any} manifest @param {string} [id]
 */
export function manifestEntry(manifest, id) {
  if (!manifest || manifest.format !== 1 || typeof manifest.models !== 'object') {
    throw new KolmoError('unknown_model', 'model manifest is missing or has an unknown format');
  }
  const wanted = id ?? manifest.default;
  const entry = manifest.models[wanted];
  if (!entry) throw new KolmoError('unknown_model', `model ${wanted} is not in the manifest`);
  return { id: wanted, ...entry };
}

/** The manifest entry whose link index is `index` (the container's model field). */
export function entryForLinkIndex(manifest, index) {
  for (const [id, entry] of Object.entries(manifest.models ?? {})) {
    if (entry.index === index) return { id, ...entry };
  }
  throw new KolmoError('unknown_model', `this link needs model #${index}, which this version of kolmo does not know`);
}

/**
 * Checks downloaded files against the manifest entry and the id. Throws KolmoError
 * 'model_mismatch' naming the file and what differs.
 * @param {{id: string, files: Record<string, {bytes: number, sha256: string}>}} entry
 * @param {Record<string, Uint8Array>} files  at least model.onnx and tokenizer.kbpe
 */
export async function verifyModelFiles(entry, files) {
  const sums = {};
  for (const name of ['model.onnx', 'tokenizer.kbpe']) {
    const data = files[name];
    const want = entry.files?.[name];
    if (!data) throw new KolmoError('model_mismatch', `${name} is missing`);
    if (!want) throw new KolmoError('model_mismatch', `${name} is not listed for model ${entry.id}`);
    if (data.length !== want.bytes) {
      throw new KolmoError('model_mismatch', `${name} has ${data.length} bytes, model ${entry.id} expects ${want.bytes}`);
    }
    sums[name] = await sha256Hex(data);
    if (sums[name] !== want.sha256) {
      throw new KolmoError('model_mismatch', `${name} sha256 ${sums[name]} does not match ${want.sha256} of model ${entry.id}`);
    }
  }
  const hash = await modelIdHashHexFromFileHashes(sums['model.onnx'], sums['tokenizer.kbpe']);
  if (hash !== idHashHex(entry.id)) {
    throw new KolmoError('model_mismatch', `files hash to model id hash ${hash}, not that of ${entry.id}`);
  }
}

/**
 * Checks that a session's inputs and outputs follow the Optimum decoder convention for `nLayers`
 * layers. Throws KolmoError 'bad_model' naming every missing or unexpected name.
 * @param {readonly string[]} inputNames @param {readonly string[]} outputNames @param {number} nLayers
 */
export function checkGraphConvention(inputNames, outputNames, nLayers) {
  const wantIn = ['input_ids', 'attention_mask', 'position_ids'];
  const wantOut = ['logits'];
  for (let i = 0; i < nLayers; i++) {
    for (const kv of ['key', 'value']) {
      wantIn.push(`past_key_values.${i}.${kv}`);
      wantOut.push(`present.${i}.${kv}`);
    }
  }
  const problems = [];
  const optionalIn = new Set(['attention_mask', 'position_ids']);
  for (const n of wantIn) if (!inputNames.includes(n) && !optionalIn.has(n)) problems.push(`missing input ${n}`);
  for (const n of wantOut) if (!outputNames.includes(n)) problems.push(`missing output ${n}`);
  for (const n of inputNames) if (!wantIn.includes(n)) problems.push(`unexpected input ${n}`);
  if (problems.length) throw new KolmoError('bad_model', `model does not follow the decoder convention: ${problems.join(', ')}`);
}
