// One Node inference path in a process of its own (forked by paths.mjs), because ORT Web's WASM
// module fixes its thread count once per process. Answers messages from the parent:
//   {id, op: 'compress', bytes, modes, segmentRule?} -> {id, fragment, mode}  (the public API, web/lib/index.js;
//                                    segmentRule: cut long texts this way, FORMAT.md §5.7)
//   {id, op: 'decompress', fragment} -> {id, bytes} | {id, error: {code, message}}
//   {id, op: 'logits', seq, mode}    -> {id, logits: Float32Array}  (pipeline.sequenceLogits)
// argv: BACKEND THREADS
import { Kolmo } from '../../web/lib/index.js';
import { sequenceLogits } from '../../web/lib/worker/pipeline.js';
import { openShippedModel } from './shipped_model.mjs';

const backend = /** @type {'node'|'wasm'} */ (process.argv[2]);
const threads = Number(process.argv[3] ?? 1);
const kolmo = new Kolmo({ backends: [backend], threads });
/** @type {Map<string, Kolmo>} an instance per segment rule asked for */
const bySegmentRule = new Map();
const kolmoFor = (/** @type {any} */ rule) => {
  if (!rule) return kolmo;
  const key = JSON.stringify(rule);
  if (!bySegmentRule.has(key)) bySegmentRule.set(key, new Kolmo({ backends: [backend], threads, segmentRule: rule }));
  return /** @type {Kolmo} */ (bySegmentRule.get(key));
};
/** @type {Promise<Awaited<ReturnType<typeof openShippedModel>>>|null} */
let direct = null;

async function answer(message) {
  switch (message.op) {
    case 'compress': {
      const { fragment, stats } = await kolmoFor(message.segmentRule).compress(message.bytes, { modes: message.modes });
      if (stats.backend !== backend) throw new Error(`ran on ${stats.backend}, not ${backend}`);
      return { fragment, mode: stats.mode };
    }
    case 'decompress':
      try {
        return { bytes: await kolmo.decompress(message.fragment, { output: 'bytes' }) };
      } catch (error) {
        return { error: { code: error?.code ?? 'internal', message: String(error?.message ?? error) } };
      }
    case 'logits': {
      direct ??= openShippedModel({ backend, threads });
      const { codec, model } = await direct;
      return { logits: await sequenceLogits(codec, model, Uint32Array.from(message.seq), message.mode) };
    }
    default:
      throw new Error(`unknown op ${message.op}`);
  }
}

process.on('message', (message) => {
  answer(message).then(
    (result) => process.send({ id: message.id, ...result }),
    (error) => process.send({ id: message.id, failure: String(error?.stack ?? error) }),
  );
});
process.on('disconnect', () => process.exit(0));
