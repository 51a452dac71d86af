// The round trip of roundtrip_core.test.mjs on WebGPU (?backend=webgpu). Test machines have no
// GPU, so chromium runs WebGPU on SwiftShader (tests/e2e/browser.mjs): correct but about 2 s
// per token, which is why the 100 KB text is in large_text.test.mjs on WASM only. The English
// link made on WebGPU is also opened on WASM. Skips with the reason when chromium offers no
// WebGPU adapter. npm test leaves out the Chinese text here (its decode alone takes minutes on
// SwiftShader; the conformance matrix opens Chinese texts on WebGPU in both tiers); npm run
// conformance (KOLMO_EVAL=all) takes every text.
import { roundTripSuite, texts } from './roundtrip.mjs';
import { testTier } from '../conformance/eval_texts.mjs';

const { chinese, ...sampleTexts } = texts;
roundTripSuite('webgpu', { texts: testTier() === 'all' ? texts : sampleTexts, timeoutMs: 20 * 60 * 1000, alsoOpenOn: 'core' });
