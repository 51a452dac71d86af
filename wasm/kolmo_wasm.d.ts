// Hand-written types of the Embind module built from wasm/bindings.cpp (emcc 3.1.6 cannot
// emit them). Keep in step with bindings.cpp: one declaration per binding
// (tests/node/wasm_types.test.mjs checks). Most code should use web/lib/worker/codec.js, which wraps
// this module (KolmoError, no .delete()). The test module's additions: kolmo_wasm_test.d.ts.
//
// Conventions (see bindings.cpp):
//   - Status values are ints (kolmo::Status); statusName(status) names them.
//   - Result<T>: {status, value}; value is set only when status === 0.
//   - Handles (Tokenizer, TokenTree, EncoderSession, DecoderSession, ModelEngine, LinkEncodeJob,
//     LinkDecodeJob, PayloadEncodeJob, PayloadDecodeJob) must be .delete()d once.
//   - u64 hashes cross as 16-digit lowercase hex strings.

/** kolmo::Status as an int: 0 = ok; statusName() gives the stable name. */
export type Status = number;

export interface Result<T> {
  status: Status;
  value: T | undefined;
}

/** Common surface of Embind class handles. */
export interface EmbindHandle {
  /** Frees the C++ object (drops this handle's reference). Call exactly once. */
  delete(): void;
  isDeleted(): boolean;
}

/** Container mode: 0 stored, 1 cm, 2 lm (kolmo::ContainerMode). */
export type ContainerModeNumber = 0 | 1 | 2;

export interface ContainerLimits {
  maxTextBytes: number;
  maxContainerBytes: number;
}

/** A parsed container (kolmo::ContainerView); body is a copy of the container's body. */
export interface ContainerViewObject {
  version: number;
  mode: ContainerModeNumber;
  modelIndex: number;
  check: number;
  body: Uint8Array;
  /** LM payload version of an lm body: 1 (container version 1) or 2 (versions 2 and 3). */
  lmPayloadVersion: number;
  /** Version 3: the payload codes the text with LF where it has CRLF. */
  crlfLineBreaks: boolean;
  /** Version 6: the header's kind (it says payload version, CRLF and segmented). */
  typoProofKind: number;
  /** Version 6, kinds 3 and 4: a segment index and LM payload-3 streams (segments.h). */
  segmented: boolean;
}

// ---- tokenizer ----

export interface Tokenizer extends EmbindHandle {
  /** Any bytes -> ids (never EOT). */
  encode(bytes: Uint8Array): Result<Uint32Array>;
  /** Ids (not EOT) -> bytes; 'bad_argument' for EOT or ids >= vocabSize. */
  decode(ids: Uint32Array | ArrayLike<number>): Result<Uint8Array>;
  vocabSize(): number;
  eotId(): number;
  /** Per-token corpus counts, indexed by id. */
  tokenCounts(): Float64Array;
}

export interface TokenizerClass {
  /** Parses a tokenizer file (models/<id>/tokenizer.kbpe); the value is owned by the caller. */
  parse(bytes: Uint8Array): Result<Tokenizer>;
}

// ---- rounding layer ----

export interface TokenTree extends EmbindHandle {
  vocabSize(): number;
  maxDepth(): number;
  /** Decisions on the path of `token`; 0 for an id out of range. */
  depth(token: number): number;
}

export interface TokenTreeClass {
  /** Huffman tree over counts (one non-negative integer < 2^53 per id); caller owns the value. */
  build(counts: Float64Array | ArrayLike<number>, vocabSize: number): Result<TokenTree>;
}

// ---- sessions ----

/** kolmo::DecodeLimits. */
export interface DecodeLimits {
  maxTokens: number;
}

/** kolmo::SessionStats; counts as numbers (exact below 2^53). */
export interface SessionStats {
  steps: number;
  fragileSteps: number;
  escapes: number;
  idealBits: number;
  codedBits: number;
  flagBits: number;
  escapeBits: number;
}

/**
 * Step protocol: logitsBuffer(rows).set(logits) right before each step call. The view dies
 * when WASM memory grows (any allocating call): take it again each time.
 */
export interface EncoderSession extends EmbindHandle {
  /** Construction status: a bad eotId shows here and in every call. */
  status(): Status;
  /** Float32Array over the C++-owned (rows, vocab) logits buffer. */
  logitsBuffer(rows: number): Float32Array;
  /** Codes `token` with buffer row 0. */
  encodeStep(token: number): Status;
  /** Codes tokens.length steps with buffer rows 0..n-1. */
  encodeSteps(tokens: Uint32Array | ArrayLike<number>): Status;
  /** The bits each coded step cost, in step order (payload 3: complete once EOT is coded). */
  stepBits(): Float32Array;
  /** The payload; the last coded token must be EOT. */
  finish(): Result<Uint8Array>;
  stats(): SessionStats;
}

export interface EncoderSessionClass {
  /** epsilon: tolerated logit drift (max norm) between encoder and decoder. */
  /** payloadVersion 1, 2 or 3; tokenCount (versions 2 and 3): tokens to code, EOT included. */
  new (tree: TokenTree, eotId: number, epsilon: number, payloadVersion: number, tokenCount: number): EncoderSession;
}

export interface DecoderSession extends EmbindHandle {
  status(): Status;
  logitsBuffer(rows: number): Float32Array;
  /** Next token with buffer row 0: the id (>= 0), or -status (< 0) on error. */
  decodeStep(): number;
  done(): boolean;
  stats(): SessionStats;
}

export interface DecoderSessionClass {
  /** The payload is copied in. */
  /** payloadVersion: the LM payload version of the container (1, 2 or 3). */
  new (tree: TokenTree, eotId: number, payload: Uint8Array, limits: DecodeLimits, payloadVersion: number): DecoderSession;
}

// ---- the model engine and the link jobs ----

/** kolmo::Transformer: a model loaded from model.onnx (int8 weights), with its window (KV cache). */
export interface ModelEngine extends EmbindHandle {
  vocabSize(): number;
  context(): number;
  /** Appends tokens to the window: (tokens.length x vocab) logits, or no value when wantLogits is false. */
  append(tokens: Uint32Array | ArrayLike<number>, wantLogits: boolean): Result<Float32Array | undefined>;
  /** Empties the window. */
  reset(): void;
  windowLength(): number;
}

export interface ModelEngineClass {
  /** The bytes are copied; 'bad_model' for a file the engine cannot run. */
  load(modelOnnx: Uint8Array, nHeads: number, context: number): Result<ModelEngine>;
}

/** The LM payload a link holds (LinkEncodeJob.usedPayload). */
export interface LinkPayloadInfo {
  payloadVersion: number;
  stats: SessionStats;
  /** The bits each coded position cost (EOT last). */
  bits: Float32Array;
}

export interface LinkEncodeJob extends EmbindHandle {
  /** Runs up to `budget` model positions: a Status. */
  run(budget: number): Status;
  done(): boolean;
  positionsDone(): number;
  positionsTotal(): number;
  container(): Uint8Array;
  mode(): ContainerModeNumber;
  input(): { ids: Uint32Array; crlfLineBreaks: boolean };
  /** The payload the link holds (version 3's when not lm); null when the model did not code the text. */
  usedPayload(): LinkPayloadInfo | null;
  /** A long text: how many segments the model codes (0: not segmented). */
  segmentCount(): number;
  /** Segment i's tokens (null when out of range). */
  segmentIds(i: number): Uint32Array | null;
  /** Segment i coded elsewhere (PayloadEncodeJob): a Status. */
  provideSegment(i: number, payload: Uint8Array): Status;
  /** A text coded as one stream: its encoder windows (0 otherwise). */
  windowCount(): number;
  /** Window k (null when out of range). */
  window(k: number): EncoderWindow | null;
  /** Window k's pass tokens (null when out of range). */
  windowTokens(k: number): Uint32Array | null;
  /** The window holding the next position to code (windowCount() once all are coded). */
  currentWindow(): number;
  /** Whether window k's logits are held (provided or prepared), not yet coded. */
  windowHasLogits(k: number): boolean;
  /** Window k's logits computed elsewhere (windowLogits) from these pass tokens: a Status. */
  provideWindowLogits(k: number, passTokens: Uint32Array, logits: Float32Array): Status;
  /** Up to `budget` more pass tokens of window k computed on the job's engine, ahead of the one
   * run() codes: a Status (windowHasLogits(k) once prepared). */
  prepareWindow(k: number, budget: number): Status;
}

/** One window of an encoder's model work (src/lm_jobs.h EncoderWindow): positions first ..
 * first + count - 1, from one pass over seq[start, first + count - 1), its first contextTokens
 * tokens context only. */
export interface EncoderWindow {
  start: number;
  first: number;
  count: number;
  contextTokens: number;
}

export interface LinkEncodeJobClass {
  /** allowedModes: bits 1 << mode; the text is copied; segmentTokens, segmentedAboveTokens: the
   * segment rule (segments.h; 0, 0: the product's). */
  new (text: Uint8Array, allowedModes: number, engine: ModelEngine, tokenizer: Tokenizer, tree: TokenTree, modelIndex: number,
    idHashHex: string, epsilon: number, limits: ContainerLimits, segmentTokens: number, segmentedAboveTokens: number): LinkEncodeJob;
}

/** One LM payload-3 stream coded in the core: a segment of a long text. */
export interface PayloadEncodeJob extends EmbindHandle {
  run(budget: number): Status;
  done(): boolean;
  positionsDone(): number;
  positionsTotal(): number;
  payload(): Uint8Array;
  stats(): SessionStats;
  bits(): Float32Array;
}

export interface PayloadEncodeJobClass {
  new (ids: Uint32Array, engine: ModelEngine, tree: TokenTree, eotId: number, epsilon: number): PayloadEncodeJob;
}

/** One LM payload-3 stream decoded in the core: a segment of a long text. */
export interface PayloadDecodeJob extends EmbindHandle {
  run(budget: number): Status;
  done(): boolean;
  tokenCount(): number;
  tokens(from: number): Uint32Array;
  tokenBits(from: number): Float32Array;
  fraction(): number;
}

export interface PayloadDecodeJobClass {
  new (payload: Uint8Array, engine: ModelEngine, tree: TokenTree, eotId: number, maxTokens: number): PayloadDecodeJob;
}

export interface LinkDecodeJob extends EmbindHandle {
  /** parse()'s result (and a segmented link's index's). */
  status(): Status;
  /** What the link declares as its text's length (-1 when unknown), also after length_over_limit. */
  declaredTextBytes(): number;
  /** The parsed container, without its body; segments: a segmented link's count (0 otherwise);
   * tokenBound: the most positions a segmented link may decode to (segments.h). */
  view(): Omit<ContainerViewObject, 'body'> & { declaredTextBytes: number; declaredMaxTokens: number; segments: number; tokenBound: number };
  /** A copy of the container's body. */
  body(): Uint8Array;
  /** Mode lm on the engine: a Status ('unknown_model' if modelIndex is not the link's). */
  start(engine: ModelEngine, tokenizer: Tokenizer, tree: TokenTree, modelIndex: number, idHashHex: string, maxTokens: number): Status;
  /** Runs up to `budget` positions: a Status (errors are final). */
  run(budget: number): Status;
  done(): boolean;
  /** The verified text, once done. */
  text(): Uint8Array;
  tokenCount(): number;
  /** Tokens decoded so far from `from` on (not verified). */
  tokens(from: number): Uint32Array;
  /** Coded bits of positions from `from` on (EOT's last once done). */
  tokenBits(from: number): Float32Array;
  /** Share of the payload read, an estimate in [0, 1]. */
  fraction(): number;
  /** Mode lm decoded outside the core: the tokens -> the verified text. A Status. */
  finishWithTokens(tokenizer: Tokenizer, idHashHex: string, ids: Uint32Array): Status;
  /** A segmented link: how many segments (0 otherwise). */
  segmentCount(): number;
  /** A segmented link's segment i: its LM payload-3 stream (null when out of range). */
  segmentPayload(i: number): Uint8Array | null;
}

export interface LinkDecodeJobClass {
  /** The container is copied and parsed. */
  new (container: Uint8Array, limits: ContainerLimits): LinkDecodeJob;
}

// ---- the module ----

export interface KolmoWasmModule {
  statusName(status: Status): string;

  Tokenizer: TokenizerClass;

  TokenTree: TokenTreeClass;

  /** RoundingConfig's default epsilon. */
  defaultEpsilon(): number;
  defaultDecodeLimits(): DecodeLimits;
  /** First token index the model sees when predicting `position` (session.h). */
  contextStart(position: number, contextLength: number): number;
  EncoderSession: EncoderSessionClass;
  DecoderSession: DecoderSessionClass;
  ModelEngine: ModelEngineClass;
  LinkEncodeJob: LinkEncodeJobClass;
  LinkDecodeJob: LinkDecodeJobClass;
  PayloadEncodeJob: PayloadEncodeJobClass;
  PayloadDecodeJob: PayloadDecodeJobClass;
  /** Where the encoder cuts a long text's tokens (segments.h; 0, 0: the product's rule). */
  segmentCuts(tokenizer: Tokenizer, ids: Uint32Array, segmentTokens: number, aboveTokens: number): Uint32Array;
  /** One window of another worker's encode job (LinkEncodeJob.window, windowTokens) on this
   * engine: its (count, vocab) logits, bit for bit those the job computes itself. */
  windowLogits(engine: ModelEngine, passTokens: Uint32Array, contextTokens: number): Result<Float32Array>;
  /** A segmented link's body (null for a bad id hash). */
  segmentedBody(idHashHex: string, text: Uint8Array, payloads: Uint8Array[]): Uint8Array | null;
  /** What the model codes for a text (LF line breaks for a CRLF text). */
  modelInput(tokenizer: Tokenizer, text: Uint8Array): Result<{ ids: Uint32Array; crlfLineBreaks: boolean }>;
  /** The LM payload versions to code for `codedTokens` positions, the main one first. */
  lmPayloadVersionsFor(codedTokens: number, crlfLineBreaks: boolean): number[];

  urlEncode(bytes: Uint8Array): string;
  urlDecode(text: string): Result<Uint8Array>;
  urlEncodedLength(size: number): number;

  /** kolmo::modelIdHash as 16 hex digits. */
  modelIdHash(modelId: string): string;
  /** The 16-bit check of (modelIdHash, text); -1 if the hash is not hex. */
  textCheck16(modelIdHashHex: string, text: Uint8Array): number;

  defaultContainerLimits(): ContainerLimits;
  containerPack(
    mode: ContainerModeNumber,
    modelIndex: number,
    modelIdHashHex: string,
    text: Uint8Array,
    body: Uint8Array,
    limits: ContainerLimits,
    lmPayloadVersion: number,
    crlfLineBreaks: boolean,
    legacy: boolean,
  ): Result<Uint8Array>;
  containerParse(bytes: Uint8Array, limits: ContainerLimits): Result<ContainerViewObject>;
  containerVerify(view: ContainerViewObject, modelIdHashHex: string, text: Uint8Array): Status;
  containerDecodeFallback(view: ContainerViewObject, limits: ContainerLimits): Result<Uint8Array>;
  /** The mode choice (container.h packBest): allowedModes is a set of bits 1 << mode. */
  containerPackBest(
    text: Uint8Array,
    lmBodies: { body: Uint8Array; payloadVersion: number; crlfLineBreaks: boolean }[],
    modelIndex: number,
    modelIdHashHex: string,
    limits: ContainerLimits,
    allowedModes: number,
  ): Result<{ bytes: Uint8Array; mode: ContainerModeNumber; lmBody: number | null }>;
  containerToFile(container: Uint8Array): Uint8Array;
  /** True when bytes start with the file form's magic ("KLMO"). */
  isFileForm(bytes: Uint8Array): boolean;
  containerParseFile(bytes: Uint8Array, limits: ContainerLimits): Result<ContainerViewObject>;

  /** The text with every CRLF made LF, or null unless every line break is CRLF (line_breaks.h). */
  lfLineBreaks(text: Uint8Array): Uint8Array | null;
  restoreCrlfLineBreaks(lf: Uint8Array, maxTextBytes: number): Result<Uint8Array>;
  cmEncode(text: Uint8Array): Result<Uint8Array>;
  cmDecode(stream: Uint8Array, maxTextBytes: number): Result<Uint8Array>;

  /** kolmo::kMaxLmTokens: the encoder side's token bound and the decoder's default. */
  maxLmTokens(): number;
  /** The QR form of a fragment text ('-' + base43). */
  urlEncodeQr(bytes: Uint8Array): string;
  urlQrEncodedLength(size: number): number;
  /** Fragment text of either form -> bytes. */
  urlDecodeAnyForm(text: string): Result<Uint8Array>;
  containerFromLinkText(text: string): Result<Uint8Array>;
  /** The password envelope's constants (src/include/kolmo/envelope.h). */
  envelopeParams(): EnvelopeParams;
  isEnvelope(bytes: Uint8Array): boolean;
  envelopeParse(bytes: Uint8Array, limits: ContainerLimits): Result<{ salt: Uint8Array; aad: Uint8Array; sealed: Uint8Array }>;
  envelopeWrap(salt: Uint8Array, sealed: Uint8Array, limits: ContainerLimits): Result<Uint8Array>;
  envelopeCheckInner(bytes: Uint8Array, limits: ContainerLimits): Status;
}

/** src/include/kolmo/envelope.h constants: PBKDF2-HMAC-SHA-256 and AES-GCM parameters, sizes in bytes. */
export interface EnvelopeParams {
  header: number;
  saltBytes: number;
  tagBytes: number;
  ivBytes: number;
  keyBits: number;
  iterations: number;
  aadBytes: number;
  overheadBytes: number;
}

export interface KolmoWasmOptions {
  /** The .wasm bytes; when given, nothing is fetched (required in Node). */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** Maps 'kolmo_wasm.wasm' to the URL to fetch it from. */
  locateFile?: (path: string, scriptDirectory: string) => string;
}

/** The MODULARIZE factory: the default export of kolmo_wasm.js. */
export default function createKolmoModule(options?: KolmoWasmOptions): Promise<KolmoWasmModule>;
