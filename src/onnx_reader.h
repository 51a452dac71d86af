// Reads what the model engine needs from an ONNX file: the graph's initializers (name, type,
// shape, raw bytes) and the model's metadata_props. Nothing else of the graph is interpreted:
// the engine knows the model family's function (docs/MODEL.md) and takes only the weights.
//
// A minimal protobuf reader (the wire format, ModelProto.graph = 7, .metadata_props = 14;
// GraphProto.initializer = 5; TensorProto.dims = 1, .data_type = 2, .name = 8, .raw_data = 9;
// StringStringEntryProto.key = 1, .value = 2) with every length checked against the buffer, so
// that any byte string, however damaged, is either read or refused with kBadModel — never read
// out of bounds (fuzzed: tests/fuzz/onnx_reader_fuzz.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kolmo/status.h"

namespace kolmo {

// ONNX TensorProto.DataType values the engine reads.
constexpr int kOnnxFloat = 1;
constexpr int kOnnxInt8 = 3;

struct OnnxTensor {
  std::string name;
  int dataType = 0;
  std::vector<int64_t> dims;
  const uint8_t* data = nullptr;  // raw_data, little-endian, inside the buffer given to readOnnx
  size_t size = 0;                // bytes of raw_data
  // Number of elements the dims describe, or -1 if they overflow or are negative.
  int64_t elementCount() const;
};

struct OnnxFile {
  std::vector<OnnxTensor> initializers;  // pointers into the caller's buffer
  std::vector<std::pair<std::string, std::string>> metadata;

  const OnnxTensor* find(const std::string& name) const;
  // The value of metadata key `key`, or nullptr.
  const std::string* meta(const std::string& key) const;
};

// Parses `bytes` (a whole model.onnx). kBadModel for anything that is not a well-formed
// ModelProto with a graph (truncated, garbage, HTML served instead of the file); tensors without
// raw_data are kept with size 0 (the engine refuses those it needs).
Status readOnnx(const uint8_t* bytes, size_t size, OnnxFile* out);

}  // namespace kolmo
