#include "tools/simulate/nir_generator.h"

#include "tools/simulate/random.h"

namespace vigie {
namespace simulate {
namespace {

void PutDigits(char* out, int value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

void SetNirKey(char nir[15]) {
  uint64_t remainder = 0;
  for (int i = 0; i < 13; ++i) {
    if (i == 5 && (nir[6] == 'A' || nir[6] == 'B')) {
      remainder = (remainder * 100 + (nir[6] == 'A' ? 19 : 18)) % 97;
      ++i;
      continue;
    }
    remainder = (remainder * 10 + (nir[i] - '0')) % 97;
  }
  PutDigits(nir + 13, static_cast<int>(97 - remainder), 2);
}

void PersonNir(uint64_t seed, int64_t person, char out[15]) {
  uint64_t x = seed * 0x9e3779b97f4a7c15ull + static_cast<uint64_t>(person);
  const uint64_t a = Random::SplitMix(x);
  const uint64_t b = Random::SplitMix(x);
  out[0] = (a & 1) ? '1' : '2';
  PutDigits(out + 1, static_cast<int>((a >> 1) % 100), 2);
  PutDigits(out + 3, static_cast<int>(1 + (a >> 8) % 12), 2);
  const int department = static_cast<int>((a >> 16) % 96);  // 0..95
  if (department == 20 || department == 0) {
    out[5] = '2';
    out[6] = department == 0 ? 'A' : 'B';
  } else {
    PutDigits(out + 5, department, 2);
  }
  PutDigits(out + 7, static_cast<int>(1 + (a >> 24) % 999), 3);
  PutDigits(out + 10, static_cast<int>(1 + b % 999), 3);
  SetNirKey(out);
}

void SweepNir(uint64_t seed, int64_t prefix_source, int order, bool valid_key,
              char out[15]) {
  PersonNir(seed, prefix_source, out);
  PutDigits(out + 10, order, 3);
  SetNirKey(out);
  if (!valid_key) {
    int key = (out[13] - '0') * 10 + (out[14] - '0');
    PutDigits(out + 13, key % 97 + 1, 2);
  }
}

}  // namespace simulate
}  // namespace vigie
