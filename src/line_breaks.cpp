#include "kolmo/line_breaks.h"

namespace kolmo {

bool lfLineBreaks(const uint8_t* text, size_t size, std::vector<uint8_t>* lf) {
  lf->clear();
  size_t lineBreaks = 0;
  for (size_t i = 0; i < size; ++i) {
    if (text[i] != '\n') continue;
    if (i == 0 || text[i - 1] != '\r') return false;
    ++lineBreaks;
  }
  if (lineBreaks == 0) return false;
  lf->reserve(size - lineBreaks);
  for (size_t i = 0; i < size; ++i) {
    if (text[i] == '\r' && i + 1 < size && text[i + 1] == '\n') continue;
    lf->push_back(text[i]);
  }
  return true;
}

Status restoreCrlfLineBreaks(const uint8_t* lf, size_t size, size_t maxTextBytes,
                             std::vector<uint8_t>* text) {
  text->clear();
  size_t lineBreaks = 0;
  for (size_t i = 0; i < size; ++i) lineBreaks += lf[i] == '\n';
  if (size + lineBreaks > maxTextBytes) return Status::kLengthOverLimit;
  text->reserve(size + lineBreaks);
  for (size_t i = 0; i < size; ++i) {
    if (lf[i] == '\n') text->push_back('\r');
    text->push_back(lf[i]);
  }
  return Status::kOk;
}

}  // namespace kolmo
