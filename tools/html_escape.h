// HTML escaping for text that comes from data (account names, addresses,
// alert messages) in the replay report, so that a login name such as
// "<script>alert(1)</script>" is shown as text and never runs.
//
// Escapes the five characters that are special in HTML text and in quoted
// attribute values (& < > " '), and replaces C0 control characters other
// than tab and newline with U+FFFD (they have no business in a report and
// some are invalid in HTML). The input is expected to be valid UTF-8
// (ingestion guarantees it for every text field); other bytes pass through.
//
// Thread-safe (pure functions). Cost: one pass, no allocation beyond the
// output's growth.
//
// Example:
//   std::string html = "<td>";
//   AppendHtmlEscaped(account_name, &html);  // "&lt;script&gt;..."
//   html += "</td>";
#ifndef VIGIE_TOOLS_HTML_ESCAPE_H_
#define VIGIE_TOOLS_HTML_ESCAPE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace vigie {

void AppendHtmlEscaped(absl::string_view text, std::string* out);
std::string HtmlEscape(absl::string_view text);

}  // namespace vigie

#endif  // VIGIE_TOOLS_HTML_ESCAPE_H_
