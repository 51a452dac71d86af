// @ts-check
// @file Where the engine runs, seen from the caller's thread (a page, or a Node program): the
// two hosts behind index.js's Kolmo. Both take the same requests (shared/messages.js Kind, with
// the same `in` objects) and deliver the same events (progress, tokens):
//
//   workerHost()     browsers: the engine in a Web Worker (worker/worker.js), spoken to by
//                    messages; aborting terminates the worker, the next call starts a fresh one
//   nodeThreadHost() Node: the same worker in a worker_threads thread (worker/node_thread.js), so
//                    the program's event loop never runs a model step and an abort stops one
//   inProcessHost()  browsers and Node with worker: false: the engine in this thread
//                    (worker/engine.js, imported on first use, so a page that uses the worker
//                    never loads it)
//
// Either way one request runs at a time, in call order.
import { KolmoError, abortError, isOutOfMemory } from '../shared/errors.js';
import { Kind, request, transferablesOf } from '../shared/messages.js';
import { nodeImport } from '../shared/env.js';

/**
 * @typedef {{onEvent?: (type: string, out: any) => void, signal?: AbortSignal}} HostCall
 * @typedef {{call(type: string, input: any, options: HostCall): Promise<any>, dispose(): void}} Host
 */

/**
 * Runs calls one at a time, in call order; a call that fails does not stop the next.
 * @returns {<T>(run: () => Promise<T>) => Promise<T>}
 */
function oneAtATime() {
  let queue = Promise.resolve();
  return (run) => {
    const result = queue.then(run);
    queue = result.then(() => {}, () => {});
    return result;
  };
}

/** The engine in this thread (Node, or browsers with worker: false). @returns {Host} */
export function inProcessHost() {
  /** @type {import('../worker/engine.js').EngineSlot|null} */
  let slot = null;
  const serial = oneAtATime();
  return {
    call(type, input, { onEvent, signal }) {
      return serial(async () => {
        if (signal?.aborted) throw abortError(signal);
        const { EngineSlot, asKolmoError } = await import('../worker/engine.js');
        slot ??= new EngineSlot();
        const onProgress = (/** @type {any} */ p) => onEvent?.(Kind.progress, p);
        const onTokens = (/** @type {any} */ t) => onEvent?.(Kind.tokens, t);
        try {
          return await slot.run(type, input, { onProgress, onTokens, signal });
        } catch (error) {
          if (signal?.aborted) throw abortError(signal);
          throw asKolmoError(error);
        }
      });
    },
    dispose() {
      slot?.dispose();
      slot = null;
    },
  };
}

// The worker's URL as served beside this module, for error messages only: the Worker itself is
// created from the literal new Worker(new URL(…), …) below, the pattern bundlers follow (they
// bundle worker.js and its imports into a chunk of their own). A variable, so they leave it alone.
const kWorkerPath = '../worker/worker.js';
const kModuleUrl = import.meta.url; // on its own: new URL(variable, import.meta.url) makes webpack warn
const kWorkerFix = "Serve the kolmo package's web/lib/ folder as it is (a CDN or a static copy), or build with a " +
  'bundler that follows new Worker(new URL(…, import.meta.url)): Vite, webpack 5; esbuild does not ' +
  '(README: Use with a bundler).';

/** @type {(() => Worker)|null} the kolmo/webgpu entry's worker (webgpu.js), or null */
let workerFactory = null;

/**
 * Starts every later worker of this page with `factory` (webgpu.js: a worker that imports
 * onnxruntime-web by name). A factory's worker is bundled by the app's bundler like the default.
 * @param {() => Worker} factory
 */
export function useWorkerFactory(factory) {
  workerFactory = factory;
}

/**
 * Starts the worker. Where this module comes from another origin (a CDN), a Worker cannot be
 * started from its URL (workers are same-origin): a same-origin blob: module that imports it
 * stands in, and worker.js, its imports and its assets still load from that origin (with CORS).
 * @returns {Worker}
 */
function startWorker() {
  const options = /** @type {WorkerOptions} */ ({ type: 'module', name: 'kolmo' });
  try {
    if (workerFactory) return workerFactory();
    return new Worker(new URL('../worker/worker.js', import.meta.url), { type: 'module', name: 'kolmo' });
  } catch (error) {
    const url = new URL(kWorkerPath, kModuleUrl).href;
    const crossOrigin = /^https?:/.test(url) && new URL(url).origin !== globalThis.location?.origin;
    if (/** @type {any} */ (error)?.name === 'SecurityError' && crossOrigin) {
      try {
        const shim = URL.createObjectURL(new Blob([`import ${JSON.stringify(url)};\n`], { type: 'text/javascript' }));
        return new Worker(shim, options);
      } catch (blobError) {
        throw new KolmoError('worker_failed', `could not start the kolmo worker ${url} from another origin through a ` +
          `blob: URL (${/** @type {any} */ (blobError)?.message ?? blobError}): the page's Content-Security-Policy ` +
          'must allow worker-src blob:, or serve kolmo from the page\'s own origin');
      }
    }
    throw new KolmoError('worker_failed', `could not start the kolmo worker ${url}: ${/** @type {any} */ (error)?.message ?? error} ` +
      "(a Content-Security-Policy whose worker-src or script-src does not allow it?). " + kWorkerFix);
  }
}

/** Why the worker did not load, as well as the page can tell: the answer of its URL. @returns {Promise<string>} */
async function workerLoadFailure() {
  const url = new URL(kWorkerPath, kModuleUrl).href;
  let why = 'it failed to load';
  try {
    const response = await fetch(url);
    const type = response.headers.get('content-type') ?? '';
    if (!response.ok) why = `its URL answered HTTP ${response.status}`;
    else if (/^text\/html\b/i.test(type)) why = 'its URL answered an HTML page (a single-page app\'s fallback), not JavaScript';
    else why = 'it loaded but failed to start (a module it imports is missing, a Content-Security-Policy, or a browser without module workers)';
  } catch (error) {
    if (/^https?:/.test(url)) why = `its URL could not be fetched (${/** @type {any} */ (error)?.message ?? error})`;
  }
  return `the kolmo worker did not start: ${why}. Worker URL: ${url}${/^file:/.test(url) ? ' (the bundler inlined this module but left the worker behind)' : ''}. ${kWorkerFix}`;
}

/**
 * The engine in a Web Worker. The queue is here, not in the worker, so that aborting the
 * running request — which terminates the worker — does not take queued ones with it.
 * @param {() => Worker} [startThread]  starts the worker: a browser's by default (startWorker)
 * @returns {Host}
 */
export function workerHost(startThread) {
  /** @type {Worker|null} */
  let worker = null;
  let nextId = 1;
  const serial = oneAtATime();
  /** @type {((error: KolmoError) => void)|null} */
  let failCurrent = null;

  const start = () => {
    // A Content-Security-Policy that blocks the worker (or a script it imports) shows only as a
    // violation event of this page, before the worker's error event: keep the last one.
    /** @type {{directive: string, blocked: string}|null} */
    let violation = null;
    const onViolation = (/** @type {any} */ event) => {
      if (/^(worker|script|child|default)-src/.test(event.effectiveDirective ?? '')) {
        violation = { directive: event.effectiveDirective, blocked: event.blockedURI };
      }
    };
    globalThis.addEventListener?.('securitypolicyviolation', onViolation);
    /** @type {Worker} */
    let w;
    try {
      w = startThread ? startThread() : startWorker();
    } catch (error) {
      globalThis.removeEventListener?.('securitypolicyviolation', onViolation);
      throw error;
    }
    w.onerror = (event) => {
      event.preventDefault?.();
      globalThis.removeEventListener?.('securitypolicyviolation', onViolation);
      const message = event.message;
      const fail = (/** @type {string} */ code, /** @type {string} */ text) => {
        failCurrent?.(new KolmoError(code, text));
        stop();
      };
      if (message) fail(isOutOfMemory(message) ? 'out_of_memory' : 'worker_failed', `the kolmo worker crashed: ${message}`);
      else if (violation) {
        fail('worker_blocked', `the page's Content-Security-Policy (${violation.directive}) blocked the kolmo worker ` +
          `${violation.blocked || new URL(kWorkerPath, kModuleUrl).href}: allow its origin in worker-src ('self' for a ` +
          "bundled app, blob: and the CDN's origin for a CDN) and script-src");
      }
      // A module worker that cannot load gives an error event with no message: ask the server.
      else workerLoadFailure().then((text) => fail('worker_failed', text));
    };
    w.addEventListener('message', () => globalThis.removeEventListener?.('securitypolicyviolation', onViolation), { once: true });
    return w;
  };
  const stop = () => {
    worker?.terminate();
    worker = null;
  };

  return {
    call(type, input, { onEvent, signal }) {
      return serial(() =>
        new Promise((resolve, reject) => {
          if (signal?.aborted) {
            reject(abortError(signal));
            return;
          }
          try {
            worker ??= start();
          } catch (error) {
            reject(error);
            return;
          }
          const w = worker;
          const id = nextId++;
          const onAbort = () => {
            stop(); // the only way to stop a running model step
            finish();
            reject(abortError(/** @type {AbortSignal} */ (signal)));
          };
          const finish = () => {
            w.removeEventListener('message', onMessage);
            signal?.removeEventListener('abort', onAbort);
            failCurrent = null;
          };
          const onMessage = (/** @type {MessageEvent} */ event) => {
            const message = event.data;
            if (!message || message.id !== id) return;
            if (message.type === Kind.progress || message.type === Kind.tokens) {
              onEvent?.(message.type, message.out);
              return;
            }
            finish();
            if (message.err) reject(new KolmoError(message.err.code, message.err.message.replace(`${message.err.code}: `, '')));
            else resolve(message.out);
          };
          failCurrent = (error) => {
            finish();
            reject(error);
          };
          w.addEventListener('message', onMessage);
          signal?.addEventListener('abort', onAbort, { once: true });
          const message = request(type, id, input);
          w.postMessage(message, transferablesOf(message));
        }));
    },
    dispose: stop,
  };
}

// worker/node_thread.js beside this module. A variable, so that bundlers (which never need it:
// it runs only in Node) leave it alone.
const kNodeThreadPath = '../worker/node_thread.js';

/**
 * The engine in a Node worker_threads thread, through workerHost's protocol, queue and aborts: a
 * thread made to look like a Web Worker. It holds the process open only while a call runs, so a
 * program that is done exits.
 * @returns {Host}
 */
export function nodeThreadHost() {
  /** @type {Promise<typeof import('node:worker_threads')>} */
  const threads = nodeImport('node:worker_threads');
  /** @type {Host|null} */
  let inner = null;
  return {
    async call(type, input, options) {
      const { Worker: Thread } = await threads;
      // The thread inherits the program's Node flags, less those that only mean something for
      // the main script (node -e, --input-type=module, node --test ...).
      const execArgv = () => process.execArgv.filter((a, i, all) => /^--(?!input-type|eval|print|test)/.test(a) && !/^-(e|p)$/.test(all[i - 1] ?? ''));
      inner ??= workerHost(() => asWebWorker(new Thread(new URL(kNodeThreadPath, kModuleUrl), { execArgv: execArgv() })));
      return inner.call(type, input, options);
    },
    dispose() {
      inner?.dispose();
    },
  };
}

/**
 * A worker_threads Worker with the part of the Web Worker interface workerHost uses:
 * postMessage, terminate, add/removeEventListener('message') with MessageEvent-like {data},
 * onerror (an error thrown in the thread, or a thread that exits on its own).
 * @param {import('node:worker_threads').Worker} thread
 * @returns {Worker}
 */
function asWebWorker(thread) {
  let pending = 0; // requests without their final answer: the thread keeps the process alive only then
  thread.unref();
  /** @type {Map<Function, (data: any) => void>} */
  const listeners = new Map();
  /** @type {any} */
  const worker = {
    onerror: null,
    postMessage(/** @type {any} */ message, /** @type {any[]} */ transfer) {
      if (pending++ === 0) thread.ref();
      thread.postMessage(message, transfer);
    },
    terminate() {
      pending = 0;
      thread.terminate();
    },
    addEventListener(/** @type {string} */ type, /** @type {Function} */ listener, /** @type {any} */ options) {
      if (type !== 'message') return;
      const wrapped = (/** @type {any} */ data) => {
        if (options?.once) worker.removeEventListener(type, listener);
        listener({ data });
      };
      listeners.set(listener, wrapped);
      thread.on('message', wrapped);
    },
    removeEventListener(/** @type {string} */ type, /** @type {Function} */ listener) {
      const wrapped = listeners.get(listener);
      if (type !== 'message' || !wrapped) return;
      thread.off('message', wrapped);
      listeners.delete(listener);
    },
  };
  thread.on('message', (/** @type {any} */ data) => {
    if (data && data.type !== Kind.progress && data.type !== Kind.tokens && pending > 0 && --pending === 0) thread.unref();
  });
  thread.on('error', (error) => worker.onerror?.({ message: /** @type {any} */ (error)?.message ?? String(error) }));
  thread.on('exit', (code) => {
    if (pending > 0) worker.onerror?.({ message: `the kolmo thread exited (code ${code})` });
  });
  return /** @type {Worker} */ (worker);
}
