// @ts-check
// @file Loading ONNX Runtime, for the backends that use it (engine.js): 'webgpu' in browsers, and
// ONNX Runtime's CPU builds ('wasm', 'node') that the conformance tests and benches compare the
// core engine with. The default backend ('core') never comes here, so a visitor who never picks
// WebGPU never downloads ONNX Runtime.
import { KolmoError } from '../shared/errors.js';
import { nodeImport } from '../shared/env.js';

/**
 * Loads ONNX Runtime for one backend in Node: 'node' = onnxruntime-node (native CPU), 'wasm' =
 * onnxruntime-web's WASM build.
 * @param {string} backend @returns {Promise<any>}
 */
export async function loadOrtNode(backend) {
  if (backend === 'node') {
    // An optional peer dependency (package.json): without it Node falls back to WASM, and
    // stats.fallback says how to get the native backend.
    try {
      return unwrap(await nodeImport('onnxruntime-node'));
    } catch (error) {
      const code = /** @type {any} */ (error)?.code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
        throw new KolmoError('backend_failed', 'onnxruntime-node is not installed (npm install onnxruntime-node for the native backend)');
      }
      throw error;
    }
  }
  if (backend === 'wasm') {
    try {
      return unwrap(await nodeImport('onnxruntime-web'));
    } catch (error) {
      const code = /** @type {any} */ (error)?.code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
        throw new KolmoError('ort_missing', 'the wasm backend runs on ONNX Runtime Web, an optional peer dependency that is not installed: npm install onnxruntime-web');
      }
      throw error;
    }
  }
  throw new KolmoError('backend_failed', `backend ${backend} is not available in Node (use node or wasm)`);
}

/** ESM namespace of a CommonJS module or a real ESM module -> the object with InferenceSession. */
function unwrap(/** @type {any} */ module) {
  return module.InferenceSession ? module : module.default;
}

/** @type {any} ONNX Runtime Web given by worker_ort.js (the kolmo/webgpu entry), or null. */
let providedOrt = null;

/**
 * Makes `ort` (onnxruntime-web's module, imported by the app's bundler) the ONNX Runtime of the
 * browser backends, in place of loading it from ortBaseUrl. @param {any} ort
 */
export function provideOrt(ort) {
  providedOrt = unwrap(ort);
}

/**
 * Loader of onnxruntime-web's ES module bundles from `ortBaseUrl` (browsers and workers).
 * WebGPU needs the JSEP bundle (ort.min.mjs + its 28 MB .wasm, which also runs the WASM
 * backend); WASM alone uses the 14 MB plain build. Once one bundle is loaded, it serves every
 * later backend (two ORT instances in one worker would only double the memory).
 * A software WebGPU adapter (SwiftShader: measured ~100x slower per token than WASM for this
 * model, every kernel dispatch costs milliseconds) is refused unless WebGPU is the only backend
 * asked for.
 * Without `ortBaseUrl` (null) it refuses with KolmoError 'ort_missing', which says how to add ONNX
 * Runtime: kolmo does not install it (an optional peer dependency), and a bundler cannot be
 * told to copy a package that may not be there.
 * @param {string|null} ortBaseUrl @param {number|undefined} threads @param {boolean} allowSoftwareGpu
 */
export function browserOrtLoader(ortBaseUrl, threads, allowSoftwareGpu) {
  /** @type {Promise<any>|null} */
  let loaded = null;
  let loadedBundle = '';
  return async (/** @type {string} */ backend) => {
    if (backend === 'webgpu') {
      const gpu = /** @type {any} */ (globalThis.navigator)?.gpu;
      if (!gpu) throw new KolmoError('webgpu_unavailable', 'this browser has no WebGPU (navigator.gpu is missing)');
      const adapter = await gpu.requestAdapter().catch(() => null);
      if (!adapter) throw new KolmoError('webgpu_unavailable', 'WebGPU is present but no GPU adapter is available');
      const software = adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
      if (software && !allowSoftwareGpu) {
        throw new KolmoError('webgpu_unavailable', 'the only WebGPU adapter is a software renderer, slower than WASM');
      }
    } else if (backend !== 'wasm') {
      throw new KolmoError('backend_failed', `backend ${backend} is not available in browsers (use webgpu or wasm)`);
    }
    if (providedOrt && !ortBaseUrl) {
      // The app's own onnxruntime-web (kolmo/webgpu): its bundler placed the .wasm beside it.
      if (threads !== undefined) providedOrt.env.wasm.numThreads = threads;
      return providedOrt;
    }
    if (!ortBaseUrl) {
      throw new KolmoError('ort_missing', `the ${backend} backend runs on ONNX Runtime Web, which kolmo does not ` +
        "install: npm install onnxruntime-web, then import { compress, decompress } from 'kolmo/webgpu' instead of " +
        "'kolmo' (your bundler then includes it), or serve its dist/ folder and pass its URL as ortBaseUrl " +
        '(README: Use with a bundler)');
    }
    const bundle = backend === 'webgpu' ? 'ort.min.mjs' : 'ort.wasm.min.mjs';
    if (!loaded || (backend === 'webgpu' && loadedBundle !== bundle)) {
      loadedBundle = bundle;
      loaded = import(/* @vite-ignore */ /* webpackIgnore: true */ ortBaseUrl + bundle).then((module) => {
        const ort = unwrap(module);
        // wasm can't be found beside the bundle once the bundle is imported from a blob or a
        // bundler's chunk, so the folder is set explicitly.
        ort.env.wasm.wasmPaths = ortBaseUrl;
        if (threads !== undefined) ort.env.wasm.numThreads = threads;
        return ort;
      });
      loaded.catch(() => {
        loaded = null;
      });
    }
    try {
      return await loaded;
    } catch (error) {
      throw new KolmoError('backend_failed', `could not load ONNX Runtime from ${ortBaseUrl}${bundle}: ${/** @type {any} */ (error)?.message ?? error}`);
    }
  };
}
