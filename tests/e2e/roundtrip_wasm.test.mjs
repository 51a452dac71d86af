// Compress in the page -> link -> a fresh browser context opens it -> exactly the same text,
// with ONNX Runtime Web's WASM backend (?backend=wasm).
import { roundTripSuite, texts } from './roundtrip.mjs';

roundTripSuite('wasm', { texts, timeoutMs: 10 * 60 * 1000 });
