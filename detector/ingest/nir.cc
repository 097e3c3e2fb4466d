#include "detector/ingest/nir.h"

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

}  // namespace

int NirControlKey(absl::string_view body13) {
  if (body13.size() != 13 || !HasNirShape(body13.data())) return -1;
  return KeyOf(body13.data());
}

NirInfo AnalyseNir(absl::string_view subject) {
  NirInfo info;
  char s[15];
  int n = Normalise(subject, s);
  if (n != 13 && n != 15) return info;
  if (!HasNirShape(s)) return info;
  if (n == 15 && !(IsDigit(s[13]) && IsDigit(s[14]))) return info;
  info.is_nir = true;
  for (int i = 0; i < 10; ++i) info.prefix[i] = s[i];
  info.order = static_cast<uint16_t>((s[10] - '0') * 100 + (s[11] - '0') * 10 +
                                     (s[12] - '0'));
  if (n == 15) {
    info.key_present = true;
    info.key_valid = KeyOf(s) == (s[13] - '0') * 10 + (s[14] - '0');
  }
  return info;
}

}  // namespace vigie
