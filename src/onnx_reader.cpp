#include "onnx_reader.h"

#include <limits>

namespace kolmo {
namespace {

// One protobuf field as the wire format gives it.
struct Field {
  uint32_t number = 0;
  int wire = 0;
  uint64_t varint = 0;            // wire type 0
  const uint8_t* data = nullptr;  // wire type 2: the payload
  size_t size = 0;
};

class WireReader {
 public:
  WireReader(const uint8_t* p, size_t n) : p_(p), end_(p + n) {}
  bool done() const { return p_ == end_; }

  // Reads the next field; false on malformed input.
  bool next(Field* f) {
    uint64_t key;
    if (!varint(&key) || key >> 32 != 0) return false;
    f->number = static_cast<uint32_t>(key >> 3);
    f->wire = static_cast<int>(key & 7);
    f->data = nullptr;
    f->size = 0;
    switch (f->wire) {
      case 0: return varint(&f->varint);
      case 1: return skip(8);
      case 5: return skip(4);
      case 2: {
        uint64_t len;
        if (!varint(&len) || len > static_cast<uint64_t>(end_ - p_)) return false;
        f->data = p_;
        f->size = static_cast<size_t>(len);
        p_ += len;
        return true;
      }
      default: return false;  // groups (3, 4) and unknown wire types: not in an ONNX file
    }
  }

  bool varint(uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return false;
      const uint8_t b = *p_++;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (b < 0x80) {
        *out = v;
        return true;
      }
    }
    return false;
  }

 private:
  bool skip(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    p_ += n;
    return true;
  }
  const uint8_t* p_;
  const uint8_t* end_;
};

bool readTensor(const uint8_t* p, size_t n, OnnxTensor* t) {
  WireReader r(p, n);
  Field f;
  while (!r.done()) {
    if (!r.next(&f)) return false;
    if (f.number == 1 && f.wire == 0) {
      t->dims.push_back(static_cast<int64_t>(f.varint));
    } else if (f.number == 1 && f.wire == 2) {  // packed dims
      WireReader packed(f.data, f.size);
      while (!packed.done()) {
        uint64_t d;
        if (!packed.varint(&d)) return false;
        t->dims.push_back(static_cast<int64_t>(d));
      }
    } else if (f.number == 2 && f.wire == 0) {
      t->dataType = static_cast<int>(f.varint & 0x7fffffff);
    } else if (f.number == 8 && f.wire == 2) {
      t->name.assign(reinterpret_cast<const char*>(f.data), f.size);
    } else if (f.number == 9 && f.wire == 2) {
      t->data = f.data;
      t->size = f.size;
    }
  }
  return true;
}

bool readEntry(const uint8_t* p, size_t n, std::pair<std::string, std::string>* kv) {
  WireReader r(p, n);
  Field f;
  while (!r.done()) {
    if (!r.next(&f)) return false;
    if (f.wire != 2) continue;
    if (f.number == 1) kv->first.assign(reinterpret_cast<const char*>(f.data), f.size);
    if (f.number == 2) kv->second.assign(reinterpret_cast<const char*>(f.data), f.size);
  }
  return true;
}

}  // namespace

int64_t OnnxTensor::elementCount() const {
  int64_t count = 1;
  for (int64_t d : dims) {
    if (d < 0 || (d > 0 && count > std::numeric_limits<int64_t>::max() / d)) return -1;
    count *= d;
  }
  return count;
}

const OnnxTensor* OnnxFile::find(const std::string& name) const {
  for (const OnnxTensor& t : initializers) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const std::string* OnnxFile::meta(const std::string& key) const {
  for (const auto& kv : metadata) {
    if (kv.first == key) return &kv.second;
  }
  return nullptr;
}

Status readOnnx(const uint8_t* bytes, size_t size, OnnxFile* out) {
  if (out == nullptr || (bytes == nullptr && size > 0)) return Status::kBadArgument;
  *out = OnnxFile();
  WireReader model(bytes, size);
  Field f;
  bool sawGraph = false;
  while (!model.done()) {
    if (!model.next(&f)) return Status::kBadModel;
    if (f.number == 14 && f.wire == 2) {
      std::pair<std::string, std::string> kv;
      if (!readEntry(f.data, f.size, &kv)) return Status::kBadModel;
      out->metadata.push_back(std::move(kv));
    } else if (f.number == 7 && f.wire == 2) {
      sawGraph = true;
      WireReader graph(f.data, f.size);
      Field g;
      while (!graph.done()) {
        if (!graph.next(&g)) return Status::kBadModel;
        if (g.number != 5 || g.wire != 2) continue;
        OnnxTensor t;
        if (!readTensor(g.data, g.size, &t)) return Status::kBadModel;
        out->initializers.push_back(std::move(t));
      }
    }
  }
  return sawGraph ? Status::kOk : Status::kBadModel;
}

}  // namespace kolmo
