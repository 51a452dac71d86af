// @ts-check
// @file Password-protected links: the WebCrypto half of the envelope whose layout src/envelope.h
// decides (the codec gives its constants and does the framing). Browsers, workers and Node >= 18
// all have WebCrypto; nothing else is used, no hand-written cryptography.
//
//   key   = PBKDF2-HMAC-SHA-256(NFC(password) as UTF-8, salt, iterations, 256 bits)
//   seal  = AES-256-GCM(key, IV = 12 zero bytes, additional data = header + salt), tag cut to 8 bytes
//
// A fresh random salt per link gives a fresh key per link, so the fixed IV never repeats under
// one key (docs/SECURITY.md has the bounds). The password is normalized to NFC so that the same
// password typed on systems that compose accents differently gives the same key.
import { KolmoError } from '../shared/errors.js';
import { throwIfAborted } from './pacing.js';

// WebCrypto takes BufferSource; TypeScript's Uint8Array<ArrayBufferLike> is wider than that.
const source = (/** @type {Uint8Array} */ bytes) => /** @type {BufferSource} */ (/** @type {unknown} */ (bytes));

/** @returns {SubtleCrypto} */
function subtle() {
  const subtleCrypto = globalThis.crypto?.subtle;
  if (!subtleCrypto) {
    throw new KolmoError('crypto_unavailable', 'this environment has no WebCrypto (crypto.subtle: pages need https or localhost)');
  }
  return subtleCrypto;
}

/** @param {unknown} password @returns {Uint8Array} */
function passwordBytes(password) {
  if (typeof password !== 'string' || password.length === 0) {
    throw new KolmoError('bad_argument', 'password: expected a non-empty string');
  }
  return new TextEncoder().encode(password.normalize('NFC'));
}

/**
 * @param {Uint8Array} password @param {Uint8Array} salt
 * @param {any} params
 */
async function deriveKey(password, salt, params) {
  const material = await subtle().importKey('raw', source(password), 'PBKDF2', false, ['deriveKey']);
  return subtle().deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: source(salt), iterations: params.iterations },
    material,
    { name: 'AES-GCM', length: params.keyBits },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** @param {any} params @param {Uint8Array} aad */
const gcm = (params, aad) => ({
  name: 'AES-GCM', iv: new Uint8Array(params.ivBytes), additionalData: source(aad), tagLength: params.tagBytes * 8,
});

/**
 * Encrypts a link container into a password envelope (16 bytes longer).
 * @param {import('./codec.js').Codec} codec @param {Uint8Array} container @param {string} password
 * @param {{signal?: AbortSignal}} [options]
 * @returns {Promise<Uint8Array>}
 */
export async function sealContainer(codec, container, password, { signal } = {}) {
  const secret = passwordBytes(password);
  const params = codec.envelopeParams();
  const salt = globalThis.crypto.getRandomValues(new Uint8Array(params.saltBytes));
  // The additional data is the envelope's first bytes; the codec lays them out (a placeholder
  // sealed part of the smallest size gives the same prefix).
  const aad = codec.envelopeWrap(salt, new Uint8Array(params.tagBytes + 3)).slice(0, params.aadBytes);
  const key = await deriveKey(secret, salt, params);
  throwIfAborted(signal);
  const sealed = new Uint8Array(await subtle().encrypt(gcm(params, aad), key, source(container)));
  return codec.envelopeWrap(salt, sealed);
}

/**
 * Decrypts a password envelope back into the link container it holds.
 * Errors: password_required (no password given), wrong_password (the tag does not match: a
 * wrong password, or an envelope changed after it was made), the codec's envelope errors.
 * @param {import('./codec.js').Codec} codec @param {Uint8Array} envelope @param {string|undefined} password
 * @param {{signal?: AbortSignal}} [options]
 * @returns {Promise<Uint8Array>}
 */
export async function openEnvelope(codec, envelope, password, { signal } = {}) {
  const { salt, aad, sealed } = codec.envelopeParse(envelope);
  if (password === undefined || password === null || password === '') {
    throw new KolmoError('password_required', 'this link is protected by a password');
  }
  const params = codec.envelopeParams();
  const key = await deriveKey(passwordBytes(password), salt, params);
  throwIfAborted(signal);
  /** @type {Uint8Array} */
  let inner;
  try {
    inner = new Uint8Array(await subtle().decrypt(gcm(params, aad), key, source(sealed)));
  } catch {
    throw new KolmoError('wrong_password', 'the password is wrong, or the link was changed after it was made');
  }
  codec.envelopeCheckInner(inner);
  return inner;
}
