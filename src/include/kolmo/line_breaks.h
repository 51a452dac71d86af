// The line-break transform of container version 3 (docs/FORMAT.md §5.5). The model was trained
// on text with LF line breaks; a text with Windows line breaks (CRLF) costs it ~0.5 bit per byte
// more. So a text whose every line break is CRLF is coded with LF breaks, and the reader puts the
// CRs back. The transform is exact both ways: lfLineBreaks drops the CR of each CRLF only when
// every LF has one, and restoreCrlfLineBreaks adds one CR before every LF.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kolmo/status.h"

namespace kolmo {

// True, with *lf = the text with each CRLF replaced by LF, when the text has at least one LF
// and every LF follows a CR. Otherwise false and *lf is cleared (the text is coded as it is).
bool lfLineBreaks(const uint8_t* text, size_t size, std::vector<uint8_t>* lf);

// *text = lf with a CR inserted before every LF. kLengthOverLimit (and *text cleared) when the
// result would exceed maxTextBytes: a crafted link cannot grow its text past the container limit.
Status restoreCrlfLineBreaks(const uint8_t* lf, size_t size, size_t maxTextBytes,
                             std::vector<uint8_t>* text);

}  // namespace kolmo
