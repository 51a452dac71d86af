// Checks an exported model.onnx against PyTorch (reference.bin from export.py) on ONNX Runtime
// Node (native CPU) and ONNX Runtime Web (WASM, in Node, one thread): the batched pass from an
// empty cache and the single-step pass with the KV cache. Prints max |logit difference| for each
// path and single-step decoding speed, as JSON. ORT Web runs both the file as shipped and with its
// int8 rows expanded at load (web/lib/worker/onnx_weights.js), which is what kolmo does.
//   node models/recipe/check_onnx.mjs <dir with model.onnx and reference.bin> [--steps N]
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { expandInt8Weights } from '../../web/lib/worker/onnx_weights.js';
import { decoderFeeds } from '../../web/lib/worker/model.js';

const require = createRequire(import.meta.url);
const dir = process.argv[2];
if (!dir || !fs.existsSync(path.join(dir, 'model.onnx')) || !fs.existsSync(path.join(dir, 'reference.bin'))) {
  console.error('usage: node check_onnx.mjs <dir with model.onnx and reference.bin>');
  process.exit(2);
}
const speedSteps = Number(process.argv[process.argv.indexOf('--steps') + 1]) || 200;

const ref = fs.readFileSync(path.join(dir, 'reference.bin'));
const [V, T, L, H, D] = [0, 1, 2, 3, 4].map((i) => ref.readUInt32LE(4 * i));
const seq = new BigInt64Array(ref.buffer.slice(ref.byteOffset + 20, ref.byteOffset + 20 + 8 * T));
const want = new Float32Array(ref.buffer.slice(ref.byteOffset + 20 + 8 * T, ref.byteOffset + 20 + 8 * T + 4 * T * V));

const shape = { n_layers: L, n_heads: H, head_dim: D };
const feeds = (ort, ids, pastLen, past) => decoderFeeds(ort, shape, ids, pastLen, past);

function maxDiff(a, offsetA, b, offsetB, n) {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(a[offsetA + i] - b[offsetB + i]));
  return m;
}

const shippedBytes = new Uint8Array(fs.readFileSync(path.join(dir, 'model.onnx')));

async function check(ort, label, options, modelBytes = shippedBytes) {
  const session = await ort.InferenceSession.create(modelBytes, options);
  const ids = Array.from(seq);
  const batched = await session.run(feeds(ort, ids, 0, null));
  const batchedDiff = maxDiff(batched.logits.data, 0, want, 0, T * V);
  let past = null;
  let stepDiff = 0;
  for (let t = 0; t < T; t++) {
    const out = await session.run(feeds(ort, [ids[t]], t, past));
    stepDiff = Math.max(stepDiff, maxDiff(out.logits.data, 0, want, t * V, V));
    past = out;
  }
  // Single-step speed: steps with a growing cache up to speedSteps positions.
  // Wall-clock speed depends on what else the machine runs; CPU time of this process (one
  // inference thread) is the figure that stays put on a busy machine, so both are reported.
  past = null;
  const steps = Math.min(speedSteps, 256);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let t = 0; t < steps; t++) {
    past = await session.run(feeds(ort, [ids[t % T]], t, past));
  }
  const cpu = process.cpuUsage(cpu0);
  const tokensPerSecond = steps / ((performance.now() - t0) / 1000);
  const tokensPerCpuSecond = steps / ((cpu.user + cpu.system) / 1e6);
  return { path: label, maxAbsDiffBatched: batchedDiff, maxAbsDiffStepwise: stepDiff,
    tokensPerSecond: Math.round(tokensPerSecond), tokensPerCpuSecond: Math.round(tokensPerCpuSecond) };
}

const results = [];
const ortNode = require('onnxruntime-node');
results.push(await check(ortNode, 'onnxruntime-node cpu', { executionProviders: ['cpu'], intraOpNumThreads: 1 }));
const ortWeb = require('onnxruntime-web');
ortWeb.env.wasm.numThreads = 1;
const webOptions = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
results.push(await check(ortWeb, 'onnxruntime-web wasm 1 thread, int8 rows expanded at load (as kolmo runs it)', webOptions,
  expandInt8Weights(shippedBytes)));
results.push(await check(ortWeb, 'onnxruntime-web wasm 1 thread, model.onnx as shipped', webOptions));
console.log(JSON.stringify({ model: path.join(dir, 'model.onnx'), vocab: V, referenceTokens: T, results }, null, 1));
