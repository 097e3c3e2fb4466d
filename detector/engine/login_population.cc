#include "detector/engine/login_population.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/status/statusor.h"
#include "detector/internal/stable_hash.h"

namespace vigie {
namespace engine {
namespace {

// One independent hash per count-min row (and row 7 for the HyperLogLogs).
uint64_t Mix(uint64_t key, int row) {
  return internal::SplitMix64(key +
                              0x9e3779b97f4a7c15ull * static_cast<uint64_t>(row));
}

}  // namespace

double SmoothedProbability(double count, double total, double next_level) {
  const double m = std::max(1.0, next_level);
  if (count <= 0 || total <= 0) return 1.0 / (total + m);
  return std::min(1.0, count / total) * (1.0 - m / (total + m));
}

size_t LoginPopulation::BytesFor(int width_bits) {
  return (static_cast<size_t>(kLoginFeatureCount) * kRows * 4 << width_bits) +
         kLoginFeatureCount * (size_t{1} << 12) + sizeof(LoginPopulation);
}

LoginPopulation::LoginPopulation(int width_bits)
    : width_bits_(width_bits),
      counters_(static_cast<size_t>(kLoginFeatureCount) * kRows
                    << width_bits,
                0),
      distinct_(kLoginFeatureCount, HyperLogLog(12)) {
  epoch_as_keys_.reserve(4096);
}

size_t LoginPopulation::CounterIndex(int feature, int row,
                                     uint64_t key) const {
  const size_t width = size_t{1} << width_bits_;
  const size_t column = Mix(key, row) >> (64 - width_bits_);
  return (static_cast<size_t>(feature) * kRows + row) * width + column;
}

uint32_t& LoginPopulation::Counter(int feature, int row, uint64_t key) {
  return counters_[CounterIndex(feature, row, key)];
}

void LoginPopulation::Prefetch(int feature, uint64_t key) const {
  for (int row = 0; row < kRows; ++row) {
    __builtin_prefetch(&counters_[CounterIndex(feature, row, key)]);
  }
}

PopulationOdds LoginPopulation::ObserveLogin(const LoginKeys& keys) {
  PopulationOdds odds{};
  // The counters are spread over the sketch: request them all at once.
  for (int k = 0; k < kLoginFeatureCount; ++k) {
    if (keys[k] == 0) continue;
    for (int row = 0; row < kRows; ++row) {
      __builtin_prefetch(&Counter(k, row, keys[k]));
    }
  }
  for (int k = 0; k < kLoginFeatureCount; ++k) {
    if (keys[k] == 0) continue;
    if (k == kLoginAs) {
      // Counted only while the epoch's log has room (see FrozenAsShare).
      if (epoch_as_keys_.size() >= kMaxEpochAsLogins) continue;
      epoch_as_keys_.push_back(keys[k]);
    }
    uint32_t count = UINT32_MAX;
    for (int row = 0; row < kRows; ++row) {
      count = std::min(count, Counter(k, row, keys[k]));
    }
    const int next = NextLevel(k);
    const double m =
        next >= 0 && keys[next] != 0 ? distinct_estimate_[next] : 1.0;
    odds[k] = std::log10(SmoothedProbability(
        count, static_cast<double>(logins_[k]), m));
    for (int row = 0; row < kRows; ++row) {
      uint32_t& c = Counter(k, row, keys[k]);
      if (c != UINT32_MAX) ++c;
    }
    distinct_[k].Add(Mix(keys[k], 7));
    if (++logins_[k] % 1024 == 1) {
      distinct_estimate_[k] = distinct_[k].Estimate();
    }
  }
  return odds;
}

void LoginPopulation::LearnRatio(double log10_ratio) {
  ratios_.Add(std::max(0.0, log10_ratio + kRatioShift));
}

double LoginPopulation::FrozenAsShare(uint64_t as_key) const {
  if (as_key == 0 || frozen_as_logins_ == 0) return 0;
  uint32_t count = UINT32_MAX;
  for (int row = 0; row < kRows; ++row) {
    const size_t index = CounterIndex(kLoginAs, row, as_key);
    uint32_t c = counters_[index];
    if (c == UINT32_MAX) continue;  // Saturated: stays as it is.
    for (uint64_t key : epoch_as_keys_) {
      if (CounterIndex(kLoginAs, row, key) == index) --c;
    }
    count = std::min(count, c);
  }
  if (count == UINT32_MAX) return 1;
  return std::min(1.0, count / static_cast<double>(frozen_as_logins_));
}

void LoginPopulation::Refresh() {
  epoch_as_keys_.clear();
  frozen_as_logins_ = logins_[kLoginAs];
  if (ratios_.count() == ratios_at_refresh_) return;
  ratios_at_refresh_ = ratios_.count();
  ratio_top_ = ratios_.Quantile(0.999) - kRatioShift;
  ratio_p99_ = ratios_.Quantile(0.99) - kRatioShift;
}

void LoginPopulation::Encode(StateWriter& w) const {
  w.Put<uint8_t>(3);
  w.Put<int32_t>(width_bits_);
  for (uint32_t c : counters_) w.Put(c);
  for (const HyperLogLog& h : distinct_) w.PutBytes(h.Serialize());
  for (double d : distinct_estimate_) w.Put(d);
  for (uint64_t n : logins_) w.Put(n);
  ratios_.Encode(w);
  w.Put(ratio_top_);
  w.Put(ratio_p99_);
  w.Put(ratios_at_refresh_);
  w.Put(frozen_as_logins_);
  w.Put<uint64_t>(epoch_as_keys_.size());
  for (uint64_t key : epoch_as_keys_) w.Put(key);
}

bool LoginPopulation::Decode(StateReader& r) {
  // Version 1 had no epoch log: its epoch restarts from the restored
  // counters. Versions 1 and 2 had no 99th percentile: it is read from the
  // restored sketch (as it is now, not at the last refresh).
  const uint8_t version = r.Get<uint8_t>();
  if (version < 1 || version > 3) r.Fail();
  if (r.Get<int32_t>() != width_bits_) r.Fail();  // Other memory options.
  if (!r.ok()) return false;
  for (uint32_t& c : counters_) c = r.Get<uint32_t>();
  for (HyperLogLog& h : distinct_) {
    if (!r.ok()) return false;
    absl::StatusOr<HyperLogLog> decoded =
        HyperLogLog::Deserialize(r.GetBytes());
    if (!decoded.ok() || decoded->precision() != 12) {
      r.Fail();
      return false;
    }
    h = *std::move(decoded);
  }
  for (double& d : distinct_estimate_) d = r.Get<double>();
  for (uint64_t& n : logins_) n = r.Get<uint64_t>();
  if (!r.ok()) return false;
  absl::StatusOr<QuantileSketch> ratios = QuantileSketch::Decode(r);
  if (!ratios.ok()) {
    r.Fail();
    return false;
  }
  ratios_ = *std::move(ratios);
  ratio_top_ = r.Get<double>();
  ratio_p99_ = version >= 3           ? r.Get<double>()
               : ratios_.count() > 0 ? ratios_.Quantile(0.99) - kRatioShift
                                     : 0;
  ratios_at_refresh_ = r.Get<uint64_t>();
  if (!std::isfinite(ratio_top_) || !std::isfinite(ratio_p99_)) r.Fail();
  epoch_as_keys_.clear();
  if (version == 1) {
    frozen_as_logins_ = logins_[kLoginAs];
    return r.ok();
  }
  frozen_as_logins_ = r.Get<uint64_t>();
  const uint64_t keys = r.Get<uint64_t>();
  if (!r.ok() || keys > kMaxEpochAsLogins ||
      frozen_as_logins_ > logins_[kLoginAs]) {
    r.Fail();
    return false;
  }
  for (uint64_t i = 0; i < keys && r.ok(); ++i) {
    epoch_as_keys_.push_back(r.Get<uint64_t>());
  }
  return r.ok();
}

}  // namespace engine
}  // namespace vigie
