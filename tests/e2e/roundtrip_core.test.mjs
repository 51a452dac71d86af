// Compress in the page -> link -> a fresh browser context opens it -> exactly the same text,
// on the default path: kolmo's own model engine (?backend=core).
import { roundTripSuite, texts, paragraph } from './roundtrip.mjs';

roundTripSuite('core', { texts: { ...texts, paragraph }, timeoutMs: 10 * 60 * 1000 });
