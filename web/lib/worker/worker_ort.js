// @ts-check
// @file The worker of the `kolmo/webgpu` entry (webgpu.js): worker.js with ONNX Runtime Web
// imported by its package name, so that a bundler resolves onnxruntime-web in the app's
// node_modules and copies the .wasm that its bundle names by new URL(…, import.meta.url). Only
// webgpu.js starts it.
import * as ort from 'onnxruntime-web/webgpu';
import { provideOrt } from './ort_loader.js';
import './worker.js';

provideOrt(ort);
