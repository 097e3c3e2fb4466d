// LoginPopulation: how common each origin of a successful login is across
// the whole portal — the p(x | population) of Freeman et al. (NDSS 2016) —
// for login risk (signal family 2).
//
// Five features per login, each a 64-bit key (0 when absent): source
// address, its network (/24 or /48), autonomous system and country (from
// the location database, if configured) and user agent. For each feature
// a count-min sketch (3 rows x 2^width_bits counters; 384 KiB at the
// default 15 bits) estimates how
// often a value was seen, and a HyperLogLog how many distinct values there
// are; smoothing follows the paper: a value seen c times in n logins has
// p = (c/n)(1 - m/(n+m)), an unseen one p = 1/(n+m), m the number of
// distinct values at the next level (address -> networks -> ASes ->
// countries). Distinct counts are re-estimated every 1,024 logins.
//
// It also keeps the distribution of benign logins' log10 likelihood
// ratios, so a login is scored against how unusual the portal's own
// logins get (frozen per epoch, like the peer baselines), and answers how
// common an autonomous system is among the portal's logins as of the
// epoch's start (FrozenAsShare), for the session checks of the parallel
// account phase: the AS keys counted during the epoch are logged (at most
// kMaxEpochAsLogins a epoch; further AS logins of that epoch are not
// counted) and subtracted from the counters they touched, so the answer
// does not depend on how the epoch's events were batched.
//
// Memory fixed at construction: bytes() (~2 MiB by default; the engine
// narrows the sketches under small memory limits). Cost per login: 15
// counter reads/writes.
// Thread-compatible; the engine calls it from its serial phase.
//
// Example:
//   LoginKeys keys = ...;  // from the event and its address's location
//   PopulationOdds odds = population.ObserveLogin(keys);
#ifndef VIGIE_DETECTOR_ENGINE_LOGIN_POPULATION_H_
#define VIGIE_DETECTOR_ENGINE_LOGIN_POPULATION_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "detector/stats/hyperloglog.h"
#include "detector/stats/quantile_sketch.h"
#include "detector/stats/state_codec.h"

namespace vigie {
namespace engine {

enum LoginFeature : int {
  kLoginAddress,
  kLoginNetwork,
  kLoginAs,
  kLoginCountry,
  kLoginAgent,
  kLoginFeatureCount,
};

using LoginKeys = std::array<uint64_t, kLoginFeatureCount>;

// log10 p(x_k | population) per feature; meaningful where keys[k] != 0.
using PopulationOdds = std::array<double, kLoginFeatureCount>;

// The next level of each feature's hierarchy (-1: none).
constexpr int NextLevel(int feature) {
  return feature == kLoginAddress   ? kLoginNetwork
         : feature == kLoginNetwork ? kLoginAs
         : feature == kLoginAs      ? kLoginCountry
                                    : -1;
}

// The paper's smoothed probability (see the header comment).
double SmoothedProbability(double count, double total, double next_level);

class LoginPopulation {
 public:
  // REQUIRES: 6 <= width_bits <= 20.
  explicit LoginPopulation(int width_bits = 15);
  // Bytes a population of this width takes.
  static size_t BytesFor(int width_bits);
  size_t bytes() const { return BytesFor(width_bits_); }
  int width_bits() const { return width_bits_; }

  // Probabilities of the login's features before it is counted; then
  // counts it.
  PopulationOdds ObserveLogin(const LoginKeys& keys);
  // Hints that a login with `key` for `feature` will be observed soon:
  // pulls its counters towards the cache. Changes nothing.
  void Prefetch(int feature, uint64_t key) const;

  // Benign logins' log10 likelihood ratios; the 99.9th and 99th
  // percentiles are frozen by Refresh (once per epoch).
  void LearnRatio(double log10_ratio);
  void Refresh();
  double ratio_top() const { return ratio_top_; }
  double ratio_p99() const { return ratio_p99_; }

  // The share of the portal's successful logins with a known AS, as at
  // the latest Refresh, whose AS key (LoginKeys[kLoginAs]) is `as_key`;
  // 0 for an AS never seen or before any login. Count-min: never below
  // the true share, above it by at most ~e/2^width_bits of the logins.
  // Reads only; safe to call from several threads while nothing writes.
  double FrozenAsShare(uint64_t as_key) const;
  static constexpr size_t kMaxEpochAsLogins = 65536;
  // The logins with a known AS that FrozenAsShare counts against.
  uint64_t frozen_as_logins() const { return frozen_as_logins_; }
  bool ratio_warm() const { return ratios_.count() >= 1000; }

  void Encode(StateWriter& w) const;
  bool Decode(StateReader& r);

 private:
  static constexpr int kRows = 3;
  // log10 ratios are stored shifted by this, so the sketch sees positives.
  static constexpr double kRatioShift = 30;

  uint32_t& Counter(int feature, int row, uint64_t key);
  size_t CounterIndex(int feature, int row, uint64_t key) const;

  int width_bits_;
  std::vector<uint32_t> counters_;  // feature x row x width.
  std::vector<HyperLogLog> distinct_;
  std::array<double, kLoginFeatureCount> distinct_estimate_{};
  std::array<uint64_t, kLoginFeatureCount> logins_{};
  // AS keys counted since the latest Refresh, and the AS logins then.
  std::vector<uint64_t> epoch_as_keys_;
  uint64_t frozen_as_logins_ = 0;
  QuantileSketch ratios_;
  double ratio_top_ = 0;
  double ratio_p99_ = 0;
  uint64_t ratios_at_refresh_ = 0;
};

}  // namespace engine
}  // namespace vigie

#endif  // VIGIE_DETECTOR_ENGINE_LOGIN_POPULATION_H_
