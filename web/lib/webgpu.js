// @ts-check
// @file Opt-in entry `kolmo/webgpu`: the same API as `kolmo`, with ONNX Runtime Web for the
// 'webgpu' backend (and ORT's 'wasm') taken from the app's own node_modules (npm install
// onnxruntime-web: an optional peer dependency), so that a bundler bundles it and copies its
// .wasm like any other dependency, with no ortBaseUrl. Importing it switches every kolmo call of
// the page to a worker that imports onnxruntime-web/webgpu (worker/worker_ort.js); the plain
// `kolmo` entry never names onnxruntime-web, so an app that does not ask for WebGPU neither needs
// nor downloads it.
//
//   import { compress } from 'kolmo/webgpu';
//   const { stats } = await compress(text, { backend: 'webgpu' });   // stats.backend: what ran
import { useWorkerFactory } from './page/hosts.js';

useWorkerFactory(() => new Worker(new URL('./worker/worker_ort.js', import.meta.url), { type: 'module', name: 'kolmo' }));

export * from './index.js';
