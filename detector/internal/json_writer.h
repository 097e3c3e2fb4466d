// Minimal helpers to write JSON text: string escaping and numbers. Used by
// the alert writer; small enough that a JSON library would add nothing.
// Thread-safe (pure functions).
//
// Example:
//   std::string out = "{\"message\":";
//   internal::AppendJsonString("say \"hi\"", &out);  // "say \"hi\""
#ifndef VIGIE_DETECTOR_INTERNAL_JSON_WRITER_H_
#define VIGIE_DETECTOR_INTERNAL_JSON_WRITER_H_

#include <string>

#include "absl/strings/string_view.h"

namespace vigie {
namespace internal {

// Appends `text` as a quoted JSON string. Valid UTF-8 passes through;
// control characters are escaped; bytes that are not valid UTF-8 become
// U+FFFD so the output is always valid JSON.
void AppendJsonString(absl::string_view text, std::string* out);

// Appends a number with up to 6 significant decimals, no exponent for
// ordinary magnitudes, integers without a fraction ("12", "12.5").
void AppendJsonNumber(double value, std::string* out);

}  // namespace internal
}  // namespace vigie

#endif  // VIGIE_DETECTOR_INTERNAL_JSON_WRITER_H_
