// The rounding layer's node-table dump, used to compare builds bit for bit (rounding.h); the
// layer's parts are token_tree, quantizer and step_evaluator.
#include "rounding.h"

#include <algorithm>
#include <cstring>

#include "det_math.h"

namespace kolmo {

// ---- dump ----

Status dumpNodeTable(const TokenTree& tree, const Quantizer& quantizer, const float* logits,
                     size_t vocab, double epsilon, std::vector<uint32_t>* out) {
  if (out == nullptr) return Status::kBadArgument;
  out->clear();
  StepEvaluator evaluator(tree);
  const Status status = evaluator.load(logits, vocab);
  if (status != Status::kOk) return status;
  out->reserve(tree.numInternalNodes() * kNodeDumpWords);
  for (uint32_t node = 0; node < tree.numInternalNodes(); ++node) {
    const double r = evaluator.logOdds(node);
    const uint32_t bin0 = quantizer.bin(0, r);
    const uint32_t bin1 = quantizer.bin(1, r);
    uint32_t flags = 0;
    if (quantizer.isFragile(0, r, epsilon)) flags |= kDumpFragileGrid0;
    if (quantizer.isFragile(1, r, epsilon)) flags |= kDumpFragileGrid1;
    if (evaluator.isNearFloor(node)) flags |= kDumpNearFloor;
    uint64_t rBits;
    std::memcpy(&rBits, &r, sizeof rBits);
    out->push_back(bin0);
    out->push_back(bin1);
    out->push_back(flags);
    out->push_back(quantizer.probLeft(0, bin0) | (quantizer.probLeft(1, bin1) << 16));
    out->push_back(static_cast<uint32_t>(rBits));
    out->push_back(static_cast<uint32_t>(rBits >> 32));
  }
  return Status::kOk;
}

}  // namespace kolmo
