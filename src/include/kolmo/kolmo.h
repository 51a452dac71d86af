// kolmo — the public C++ API of the core, in one include.
//
// The core turns text into a short link and back, given a language model that the caller runs:
//
//   compress:   Tokenizer::encode -> per token: model logits -> EncoderSession::encodeStep
//               -> EncoderSession::finish (LM payload) -> packBest (smallest of lm / cm / stored
//               container) -> urlEncode (base62 fragment text)
//   decompress: urlDecode -> parse -> lm: DecoderSession::decodeStep per token with the model's
//               logits until EOT, Tokenizer::decode, verify; stored/cm: decodeFallback
//
// Every fallible call returns kolmo::Status (status.h); nothing throws. The model and its
// context window stay outside (contextStart() says which tokens the model sees), so the same
// sessions run with a synthetic model in native tests and with ONNX Runtime in the browser.
// Headers, by layer:
//   tokenizer.h     byte-level BPE runtime (pretokenizer.h: the split rule)
//   rounding.h      logits -> integer probabilities, bit-identical everywhere (det_math.h):
//                   token_tree.h, quantizer.h, step_evaluator.h
//   range_coder.h   the arithmetic coder
//   session.h       EncoderSession / DecoderSession, contextStart, RoundingConfig, DecodeLimits
//   container.h     link framing, fallbacks, packBest (checksum.h: the integrity check)
//   cm_codec.h      the model-free context-mixing codec
//   url_codec.h     bytes <-> base62 fragment text
#pragma once

#include "kolmo/status.h"

#include "checksum.h"
#include "cm_codec.h"
#include "container.h"
#include "envelope.h"
#include "range_coder.h"
#include "rounding.h"
#include "session.h"
#include "tokenizer.h"
#include "url_codec.h"
