// Compress in the page -> link -> a fresh browser context opens it -> exactly the same text,
// with ONNX Runtime Web's WASM backend (?backend=wasm).
import { roundTripSuite, texts, paragraph } from './roundtrip.mjs';

roundTripSuite('wasm', { texts: { ...texts, paragraph }, timeoutMs: 10 * 60 * 1000 });
