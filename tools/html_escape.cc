#include "tools/html_escape.h"

namespace vigie {

void AppendHtmlEscaped(absl::string_view text, std::string* out) {
  out->reserve(out->size() + text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out->append("&amp;"); break;
      case '<': out->append("&lt;"); break;
      case '>': out->append("&gt;"); break;
      case '"': out->append("&quot;"); break;
      case '\'': out->append("&#39;"); break;
      case '\t':
      case '\n':
        out->push_back(c);
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out->append("\xEF\xBF\xBD");  // U+FFFD
        } else {
          out->push_back(c);
        }
    }
  }
}

std::string HtmlEscape(absl::string_view text) {
  std::string out;
  AppendHtmlEscaped(text, &out);
  return out;
}

}  // namespace vigie
