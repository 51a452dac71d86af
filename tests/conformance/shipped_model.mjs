// The shipped default model opened directly (codec, tokenizer, token tree, and the model on the core's
// engine or an ONNX Runtime session),
// below the public API: for measuring logits and injecting noise, which the API does not expose.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { loadCodec } from '../../web/lib/worker/codec.js';
import { createLanguageModel } from '../../web/lib/worker/model.js';
import { createCoreModel } from '../../web/lib/worker/core_model.js';
import { manifestEntry } from '../../web/lib/worker/model_manifest.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);

/** The shipped model's files and metadata, with the codec, tokenizer and token tree built. */
export async function loadShippedFiles() {
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'models/manifest.json'), 'utf8'));
  const entry = manifestEntry(manifest);
  const dir = join(repoRoot, 'models', entry.id);
  const codec = await loadCodec();
  const tokenizer = codec.parseTokenizer(readFileSync(join(dir, 'tokenizer.kbpe')));
  const tree = codec.buildTokenTree(tokenizer.tokenCounts());
  return { codec, tokenizer, tree, entry, modelBytes: new Uint8Array(readFileSync(join(dir, 'model.onnx'))) };
}

/**
 * The shipped model on one backend. `lm` is what web/lib/worker/pipeline.js takes.
 * @param {{backend: 'core'|'node'|'wasm', threads?: number}} path  'core': kolmo's engine (one
 *   thread); ORT Web's WASM module reads its thread count once per process: one 'wasm' thread
 *   count per process.
 */
export async function openShippedModel({ backend, threads = 1 }) {
  const { codec, tokenizer, tree, entry, modelBytes } = await loadShippedFiles();
  const model = backend === 'core'
    ? createCoreModel(codec, modelBytes, entry)
    : await createLanguageModel({ ort: require(backend === 'node' ? 'onnxruntime-node' : 'onnxruntime-web'), modelBytes, shape: entry, backends: [backend], threads });
  return { codec, tokenizer, tree, entry, model, lm: { model, tokenizer, tree, entry } };
}
