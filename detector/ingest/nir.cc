#include "detector/ingest/nir.h"

#include <cstring>

namespace vigie {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Normalises into out[0..15): removes spaces, upper-cases letters. Returns
// the length, or -1 if longer than 15.
int Normalise(absl::string_view subject, char* out) {
  int n = 0;
  for (char c : subject) {
    if (c == ' ') continue;
    if (n == 15) return -1;
    out[n++] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return n;
}

bool HasNirShape(const char* s) {
  if (s[0] != '1' && s[0] != '2' && s[0] != '3' && s[0] != '4' &&
      s[0] != '7' && s[0] != '8') {
    return false;
  }
  for (int i = 1; i < 5; ++i) {
    if (!IsDigit(s[i])) return false;
  }
  const bool corsica = s[5] == '2' && (s[6] == 'A' || s[6] == 'B');
  if (!corsica && !(IsDigit(s[5]) && IsDigit(s[6]))) return false;
  for (int i = 7; i < 13; ++i) {
    if (!IsDigit(s[i])) return false;
  }
  return true;
}

int KeyOf(const char* s) {
  // The 13-character number, with 2A -> 19 and 2B -> 18, mod 97. Thirteen
  // digits fit in 64 bits, so one remainder at the end suffices.
  uint64_t number = 0;
  for (int i = 0; i < 13; ++i) {
    if (i == 5 && (s[6] == 'A' || s[6] == 'B')) {
      number = number * 100 + (s[6] == 'A' ? 19 : 18);
      ++i;
      continue;
    }
    number = number * 10 + static_cast<uint64_t>(s[i] - '0');
  }
  return static_cast<int>(97 - number % 97);
}

// The eight decimal digits at p as a number, the first the most
// significant (Lemire's SWAR parse: pairs, then quads, then the whole,
// each step one multiplication). REQUIRES: eight ASCII digits.
uint32_t EightDigits(const char* p) {
  uint64_t v;
  memcpy(&v, p, 8);
  v = (v & 0x0F0F0F0F0F0F0F0Full) * 2561 >> 8;
  v = (v & 0x00FF00FF00FF00FFull) * 6553601 >> 16;
  v = (v & 0x0000FFFF0000FFFFull) * 42949672960001ull >> 32;
  return static_cast<uint32_t>(v);
}

// Whether the eight bytes at p are all ASCII digits: a byte below '0'
// borrows into its high bit, one above '9' carries into it (and a byte
// with its high bit set keeps it in one of the two), while no digit
// carries or borrows, so neighbours stay untouched until a non-digit.
bool EightAreDigits(const char* p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return (((v - 0x3030303030303030ull) | (v + 0x4646464646464646ull)) &
          0x8080808080808080ull) == 0;
}

// AnalyseNormalNir's work on the 13 or 15 characters at `s`, whose key is
// computed from `digits` (the same characters, but for a Corsican
// department's "2A" / "2B" read as 19 / 18).
bool AnalyseNirDigits(const char* s, const char* digits, size_t n,
                      NirInfo* info) {
  if (!EightAreDigits(digits) || !EightAreDigits(digits + n - 8)) {
    return false;
  }
  if (s[0] != '1' && s[0] != '2' && s[0] != '3' && s[0] != '4' &&
      s[0] != '7' && s[0] != '8') {
    return false;
  }
  info->is_nir = true;
  memcpy(info->prefix, s, sizeof(info->prefix));
  info->order = static_cast<uint16_t>((s[10] - '0') * 100 + (s[11] - '0') * 10 +
                                      (s[12] - '0'));
  if (n == 15) {
    // Digits 0..7, then 5..12 of which the last five are 8..12.
    const uint64_t number = uint64_t{EightDigits(digits)} * 100000 +
                            EightDigits(digits + 5) % 100000;
    const int key = static_cast<int>(97 - number % 97);
    info->key_present = true;
    info->key_valid = key == (s[13] - '0') * 10 + (s[14] - '0');
  }
  return true;
}

// AnalyseNir for a subject already in normal form that is a NIR: 13 or 15
// characters, digits but for a Corsican department's letter, no space or
// lower-case letter (a portal's logs hold little else). False, leaving
// *info alone, for anything else; then the general path decides. Same
// results as the general path where it answers (tested differentially).
//
// A NIR of the mainland is read where it lies. Copying it first (as every
// NIR once was) made the 8-byte loads of the copy's last digits wait for
// its narrower stores to retire: no store-to-load forwarding, a stall on
// every record of the replay's reading thread. Only a Corsican NIR, whose
// key reads other digits, is copied.
bool AnalyseNormalNir(absl::string_view subject, NirInfo* info) {
  const size_t n = subject.size();
  if (n != 13 && n != 15) return false;
  const char* s = subject.data();
  if (s[6] != 'A' && s[6] != 'B') return AnalyseNirDigits(s, s, n, info);
  if (s[5] != '2') return false;
  char digits[16];
  memcpy(digits, s, n);
  digits[5] = '1';
  digits[6] = s[6] == 'A' ? '9' : '8';
  return AnalyseNirDigits(s, digits, n, info);
}

}  // namespace

int NirControlKey(absl::string_view body13) {
  if (body13.size() != 13 || !HasNirShape(body13.data())) return -1;
  return KeyOf(body13.data());
}

void AnalyseNir(absl::string_view subject, NirInfo* info) {
  if (AnalyseNormalNir(subject, info)) return;
  char s[15];
  int n = Normalise(subject, s);
  if (n != 13 && n != 15) return;
  if (!HasNirShape(s)) return;
  if (n == 15 && !(IsDigit(s[13]) && IsDigit(s[14]))) return;
  info->is_nir = true;
  for (int i = 0; i < 10; ++i) info->prefix[i] = s[i];
  info->order = static_cast<uint16_t>((s[10] - '0') * 100 +
                                      (s[11] - '0') * 10 + (s[12] - '0'));
  if (n == 15) {
    info->key_present = true;
    info->key_valid = KeyOf(s) == (s[13] - '0') * 10 + (s[14] - '0');
  }
}

}  // namespace vigie
