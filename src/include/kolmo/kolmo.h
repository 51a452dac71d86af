// kolmo — the public C++ API of the core, in one include: <kolmo/kolmo.h>.
//
// kolmo turns a text into a short link (the text after '#') and back, losslessly. A link holds the
// text coded by a language model that the caller runs (mode lm), or, when that is not smaller,
// coded by a built-in model-free codec (cm) or stored as it is (stored).
//
//   compress    Tokenizer::encode -> LmEncoder: per token, the caller's model logits ->
//               encodeStep ... finish (the LM payload) -> packBest (the smallest container of
//               stored, cm and the lm bodies given) -> urlEncode (the fragment text)
//   decompress  urlDecodeAnyForm -> parse -> mode lm: LmDecoder, per token the model's logits ->
//               decodeStep until done() -> Tokenizer::decode -> verify;
//               mode stored or cm: decodeFallback (decodes and verifies)
//
// A C++ program needs only this header and the kolmo_core library (its objects); the model and its
// runtime are the caller's. Every fallible call returns a kolmo::Status and nothing throws (an
// allocation failure aside). The output is bit-identical on every platform and in the WASM build:
// a link written anywhere opens everywhere.
//
// The headers, each documenting its calls, their errors, limits and who owns what:
//   kolmo/status.h       Status: every error, with pinned values; statusName()
//   kolmo/tokenizer.h    Tokenizer: the model's byte-level BPE (any bytes <-> token ids)
//   kolmo/lm.h           LmVocabulary, LmEncoder, LmDecoder: token ids + model logits <-> LM
//                        payload; contextStart() (which tokens the model sees), maxLmTokens()
//   kolmo/container.h    the link container: packBest (the mode choice), pack, parse, verify,
//                        decodeFallback, ContainerLimits, the file form (toFile, parseFile)
//   kolmo/line_breaks.h  container version 3: texts with CRLF line breaks coded with LF
//   kolmo/checksum.h     modelIdHash() (a model's identity in its links) and the integrity check
//   kolmo/url_codec.h    container bytes <-> fragment text (base62, and the QR form)
//   kolmo/envelope.h     the password envelope's layout (the encryption itself is the caller's)
// docs/FORMAT.md is the normative description of the link format.
#pragma once

#include "kolmo/checksum.h"
#include "kolmo/container.h"
#include "kolmo/envelope.h"
#include "kolmo/line_breaks.h"
#include "kolmo/lm.h"
#include "kolmo/status.h"
#include "kolmo/tokenizer.h"
#include "kolmo/url_codec.h"
