// The password envelope: an encrypted link is a link container whose header says "envelope"
// and whose rest is the AES-GCM encryption of an ordinary link container (any mode, any model:
// the text is compressed first, then encrypted, so compression is unchanged).
//
//   byte 0      header 0x38: version 1, mode 3 (envelope), low 3 bits = envelope kind (0)
//   7 bytes     salt: random per link, the PBKDF2 salt
//   rest        AES-256-GCM ciphertext of the inner container, then its tag cut to 8 bytes
//
// Kind 0: key = PBKDF2-HMAC-SHA-256(password UTF-8, salt, 600,000 iterations, 256 bits); IV =
// 12 zero bytes (each key seals exactly one message: a fresh salt gives a fresh key); additional
// data = header + salt, so neither can be changed without failing the tag. Overhead: 16 bytes
// per link (header 1 + salt 7 + tag 8). docs/FORMAT.md §11 is normative, docs/SECURITY.md says
// what this protects.
//
// The layout is decided here, once; the cryptography runs in JS WebCrypto (web/lib/worker/crypto.js)
// in browsers and Node, because the core has no random source and no vetted AES or SHA-256,
// and writing one would be the wrong kind of original work.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kolmo/container.h"
#include "kolmo/status.h"

namespace kolmo {

// Header byte of an envelope of kind 0: version 1 (bits 7..5), mode 3 (bits 4..3), kind 0.
constexpr uint8_t kEnvelopeHeader = 0x38;
// The typo-proof envelope (container version 6, kind 2; docs/FORMAT.md §11): the same fields,
// then the 3-byte link syndrome trailer over all of them (checksum.h), checked before anything
// else, so a typo is named as one instead of as a wrong password. New envelopes use it.
constexpr uint8_t kEnvelopeHeaderTypoProof = 0xC2;
constexpr uint8_t kEnvelopeKindMask = 0x07;
constexpr size_t kEnvelopeSaltBytes = 7;
constexpr size_t kEnvelopeTagBytes = 8;
constexpr size_t kEnvelopeIvBytes = 12;  // all zero (one message per key)
constexpr size_t kEnvelopeKeyBits = 256;
constexpr uint32_t kEnvelopePbkdf2Iterations = 600000;
// Bytes an envelope adds to the inner container: header + salt + tag (+ 3 for the trailer of a
// typo-proof envelope).
constexpr size_t kEnvelopeOverheadBytes = 1 + kEnvelopeSaltBytes + kEnvelopeTagBytes;
// The additional authenticated data: header + salt (the first bytes of the envelope).
constexpr size_t kEnvelopeAadBytes = 1 + kEnvelopeSaltBytes;

// A parsed envelope; pointers into the parsed buffer (valid while it lives).
struct EnvelopeView {
  uint8_t kind = 0;
  const uint8_t* salt = nullptr;    // kEnvelopeSaltBytes
  const uint8_t* aad = nullptr;     // kEnvelopeAadBytes: header + salt
  const uint8_t* sealed = nullptr;  // ciphertext + tag
  size_t sealedSize = 0;
};

// True if the header byte says "envelope" (version 1, mode 3, whatever its kind; or version 6
// kind 2): such bytes
// go to envelopeParse(), not parse() (which answers kUnknownMode for them, as every reader
// older than envelopes does).
bool isEnvelope(const uint8_t* data, size_t size);

// Splits an envelope. Errors: kBadArgument (not an envelope header), kDamagedLink (a typo-proof
// envelope whose syndrome fails: checked first), kUnknownMode (a kind
// this build does not know: a newer writer), kTruncated (shorter than header + salt + tag +
// the smallest inner container), kLengthOverLimit (over limits.maxContainerBytes +
// kEnvelopeOverheadBytes). *view is written only on kOk.
Status envelopeParse(const uint8_t* data, size_t size, const ContainerLimits& limits,
                     EnvelopeView* view);

// Writes the typo-proof header (0xC2) + salt + sealed + the syndrome trailer to *out. sealed = AES-GCM output over an inner
// container (ciphertext, then the 8-byte tag). Errors: kBadArgument (salt not
// kEnvelopeSaltBytes, sealed shorter than tag + kContainerMinBytes), kLengthOverLimit.
Status envelopeWrap(const uint8_t* salt, size_t saltSize, const uint8_t* sealed, size_t sealedSize,
                    const ContainerLimits& limits, std::vector<uint8_t>* out);

// Checks what decryption gave back before it is decoded: an inner container that parses and
// is not itself an envelope (no nesting). Errors: parse() errors; kCorrupt for a nested
// envelope. An authentic tag makes these practically impossible; they guard against a
// writer's bug, not an attacker.
Status envelopeCheckInner(const uint8_t* inner, size_t size, const ContainerLimits& limits);

}  // namespace kolmo
