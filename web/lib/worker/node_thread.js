// @ts-check
// @file worker.js in a Node worker_threads thread (page/hosts.js nodeThreadHost): the same engine
// and protocol as in a browser's Web Worker, so a Node program's event loop never runs a model
// step and an abort can stop one (by terminating this thread). Node gives a thread parentPort
// where a Web Worker has postMessage/onmessage on its global scope: bridged here.
import { parentPort } from 'node:worker_threads';

const scope = /** @type {any} */ (globalThis);
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
scope.postMessage = (/** @type {any} */ message, /** @type {any[]} */ transfer) => port.postMessage(message, transfer);
await import('./worker.js');
port.on('message', (data) => scope.onmessage({ data }));
