// @ts-check
// @file Where the engine runs, seen from the caller's thread (a page, or a Node program): the
// two hosts behind index.js's Kolmo. Both take the same requests (shared/messages.js Kind, with
// the same `in` objects) and deliver the same events (progress, tokens):
//
//   workerHost()     browsers: the engine in a Web Worker (worker/worker.js), spoken to by
//                    messages; aborting terminates the worker, the next call starts a fresh one
//   inProcessHost()  Node, and browsers with worker: false: the engine in this thread
//                    (worker/engine.js, imported on first use, so a page that uses the worker
//                    never loads it)
//
// Either way one request runs at a time, in call order.
import { KolmoError, abortError, isOutOfMemory } from '../shared/errors.js';
import { Kind, request, transferablesOf } from '../shared/messages.js';

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

/**
 * The engine in a Web Worker. The queue is here, not in the worker, so that aborting the
 * running request — which terminates the worker — does not take queued ones with it.
 * @returns {Host}
 */
export function workerHost() {
  /** @type {Worker|null} */
  let worker = null;
  let nextId = 1;
  const serial = oneAtATime();
  /** @type {((error: KolmoError) => void)|null} */
  let failCurrent = null;

  const start = () => {
    const w = new Worker(new URL('../worker/worker.js', import.meta.url), { type: 'module', name: 'kolmo' });
    w.onerror = (event) => {
      event.preventDefault?.();
      const message = event.message || 'the kolmo worker failed to start or crashed';
      const code = isOutOfMemory(message) ? 'out_of_memory' : 'worker_failed';
      failCurrent?.(new KolmoError(code, message));
      stop();
    };
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
          worker ??= start();
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
