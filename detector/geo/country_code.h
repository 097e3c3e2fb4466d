// CountryCode: an ISO 3166 two-letter country as a 16-bit value (first
// letter << 8 | second), 0 for unknown — how the engine stores a login's
// country (in address state, evidence and snapshots) without strings.
//
// Example:
//   uint16_t fr = CountryCode("FR");
//   std::string text = CountryString(fr);  // "FR"
#ifndef VIGIE_DETECTOR_GEO_COUNTRY_CODE_H_
#define VIGIE_DETECTOR_GEO_COUNTRY_CODE_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace vigie {

// 0 unless `iso` has exactly two characters.
inline uint16_t CountryCode(absl::string_view iso) {
  if (iso.size() != 2) return 0;
  return static_cast<uint16_t>((static_cast<uint8_t>(iso[0]) << 8) |
                               static_cast<uint8_t>(iso[1]));
}

// "" for 0.
inline std::string CountryString(uint16_t code) {
  if (code == 0) return "";
  return std::string{static_cast<char>(code >> 8),
                     static_cast<char>(code & 0xff)};
}

}  // namespace vigie

#endif  // VIGIE_DETECTOR_GEO_COUNTRY_CODE_H_
