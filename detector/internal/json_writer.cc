#include "detector/internal/json_writer.h"

#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"

namespace vigie {
namespace internal {
namespace {

// Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid.
int Utf8SequenceLength(const unsigned char* p, const unsigned char* end) {
  unsigned char c = p[0];
  int length;
  uint32_t min;
  if (c < 0x80) return 1;
  if ((c & 0xe0) == 0xc0) {
    length = 2;
    min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    length = 3;
    min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    length = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (end - p < length) return 0;
  uint32_t cp = c & (0x7f >> length);
  for (int i = 1; i < length; ++i) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return length;
}

}  // namespace

void AppendJsonString(absl::string_view text, std::string* out) {
  out->push_back('"');
  const unsigned char* p = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char* end = p + text.size();
  while (p < end) {
    unsigned char c = *p;
    switch (c) {
      case '"': out->append("\\\""); ++p; continue;
      case '\\': out->append("\\\\"); ++p; continue;
      case '\n': out->append("\\n"); ++p; continue;
      case '\r': out->append("\\r"); ++p; continue;
      case '\t': out->append("\\t"); ++p; continue;
      case '\b': out->append("\\b"); ++p; continue;
      case '\f': out->append("\\f"); ++p; continue;
      default: break;
    }
    if (c < 0x20) {
      char buf[8];
      snprintf(buf, sizeof(buf), "\\u%04x", c);
      out->append(buf);
      ++p;
      continue;
    }
    int length = Utf8SequenceLength(p, end);
    if (length == 0) {
      out->append("\xEF\xBF\xBD");  // U+FFFD
      ++p;
      continue;
    }
    out->append(reinterpret_cast<const char*>(p), length);
    p += length;
  }
  out->push_back('"');
}

void AppendJsonNumber(double value, std::string* out) {
  if (!std::isfinite(value)) {
    out->append("null");
    return;
  }
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    absl::StrAppend(out, static_cast<int64_t>(value));
    return;
  }
  char buf[32];
  snprintf(buf, sizeof(buf), "%.6g", value);
  out->append(buf);
}

}  // namespace internal
}  // namespace vigie
