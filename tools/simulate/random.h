// Random: the simulator's seeded generator (xoshiro256**, seeded through
// splitmix64) and the few distributions it draws from, written out so the
// same seed gives the same traffic with any standard library.
//
// Value type; thread-compatible. Example:
//   Random random(/*seed=*/1);
//   double gap_s = random.Exponential(/*mean=*/90.0);
#ifndef VIGIE_TOOLS_SIMULATE_RANDOM_H_
#define VIGIE_TOOLS_SIMULATE_RANDOM_H_

#include <cmath>
#include <cstdint>

namespace vigie {
namespace simulate {

class Random {
 public:
  explicit Random(uint64_t seed) {
    uint64_t x = seed;
    for (uint64_t& word : state_) word = SplitMix(x);
  }

  static uint64_t SplitMix(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>(
        (static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  // Uniform in [lo, hi].
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo + 1)));
  }
  // Uniform in [0, 1).
  double Unit() { return (Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Unit() < p; }
  double Exponential(double mean) { return -mean * std::log1p(-Unit()); }
  double Normal() {
    // Box-Muller; one value per call keeps the stream simple.
    const double u = 1.0 - Unit();
    const double v = Unit();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
  }
  // Log-normal with the given median and log-space spread.
  double LogNormal(double median, double sigma) {
    return median * std::exp(sigma * Normal());
  }
  int64_t Poisson(double mean) {
    if (mean <= 0) return 0;
    if (mean > 30) {
      const int64_t n =
          static_cast<int64_t>(std::llround(mean + std::sqrt(mean) * Normal()));
      return n < 0 ? 0 : n;
    }
    const double limit = std::exp(-mean);
    double product = Unit();
    int64_t n = 0;
    while (product > limit) {
      product *= Unit();
      ++n;
    }
    return n;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

}  // namespace simulate
}  // namespace vigie

#endif  // VIGIE_TOOLS_SIMULATE_RANDOM_H_
