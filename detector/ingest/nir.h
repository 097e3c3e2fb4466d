// Structure of a French social-security number (NIR), read before the
// number is pseudonymised so the NIR-aware signals can work on pseudonyms.
//
// A NIR is 13 characters, optionally followed by a 2-digit control key:
//   sex (1 digit: 1, 2, 3, 4, 7 or 8) | birth year (2) | birth month (2) |
//   department (2 digits, or "2A"/"2B" for Corsica) | commune (3) |
//   order number (3) | key (2)
// The key is 97 - (N mod 97), N the 13-character number read as an integer
// with "2A" replaced by "19" and "2B" by "18". Spaces are ignored and
// letters are case-insensitive ("2a" is "2A").
//
// Why: a chained-lookup robot often walks order numbers under one prefix
// (sequential sweeps) or tries numbers with invalid keys; humans copy real
// cards. Thread-safe (pure functions); no allocation.
//
// Example:
//   NirInfo info = AnalyseNir("1 85 05 78 006 084 91");
//   if (info.is_nir && info.key_present && !info.key_valid) { ... }
#ifndef VIGIE_DETECTOR_INGEST_NIR_H_
#define VIGIE_DETECTOR_INGEST_NIR_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace vigie {

struct NirInfo {
  bool is_nir = false;       // 13 or 15 characters of NIR shape.
  bool key_present = false;  // 15 characters: a key was given.
  bool key_valid = false;    // key_present and the key matches.
  // The first 10 normalised characters (sex..commune), e.g. "1850578006";
  // valid while the input is. Empty unless is_nir.
  char prefix[10] = {};
  uint16_t order = 0;  // 1..999 (0 unless is_nir).
};

// Reads the NIR structure of `subject`. Shape rules: after removing spaces,
// 13 or 15 characters; sex in {1,2,3,4,7,8}; year, month, commune, order,
// key digits; department two digits or 2A/2B. Month is not range-checked
// (NIRs use 20..42 and 50..99 for unknown months).
//
// Into `*info`, which must hold its defaults (a fresh NirInfo): the form the
// ingestion hot path calls. A 16-byte NirInfo returned by value travels in
// two registers, loaded from the callee's byte-by-byte stores, which
// store-to-load forwarding cannot serve: that stall was ~8% of a binary
// replay's reading thread.
void AnalyseNir(absl::string_view subject, NirInfo* info);
// The same, by value, for callers off the hot path.
inline NirInfo AnalyseNir(absl::string_view subject) {
  NirInfo info;
  AnalyseNir(subject, &info);
  return info;
}

// The control key of a 13-character normalised NIR body; -1 if the body is
// not 13 characters of NIR shape.
int NirControlKey(absl::string_view body13);

}  // namespace vigie

#endif  // VIGIE_DETECTOR_INGEST_NIR_H_
