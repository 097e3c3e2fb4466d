#include "detector/stats/quantile_sketch.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

namespace vigie {

namespace {

constexpr double kDefaultAccuracy = 0.02;
constexpr int kSmallIntegers = 1024;

// Bucket indices of 1..1023 at the default accuracy, computed exactly as
// Index does. The engine's sketches mostly hold small counts (new people
// per minute, hour, day), and a table read is much cheaper than a log.
const std::array<int, kSmallIntegers>& SmallIndexTable() {
  static const std::array<int, kSmallIntegers> table = [] {
    const double gamma = (1 + kDefaultAccuracy) / (1 - kDefaultAccuracy);
    const double log_gamma = std::log(gamma);
    std::array<int, kSmallIntegers> t{};
    for (int i = 1; i < kSmallIntegers; ++i) {
      t[i] = static_cast<int>(std::ceil(std::log(static_cast<double>(i)) /
                                        log_gamma));
    }
    return t;
  }();
  return table;
}

}  // namespace

QuantileSketch::QuantileSketch(double relative_accuracy, int max_buckets)
    : alpha_(relative_accuracy),
      gamma_((1 + relative_accuracy) / (1 - relative_accuracy)),
      log_gamma_(std::log(gamma_)),
      max_buckets_(max_buckets),
      small_index_(relative_accuracy == kDefaultAccuracy ? &SmallIndexTable()
                                                         : nullptr) {}

int QuantileSketch::Index(double value) const {
  if (small_index_ != nullptr && value < kSmallIntegers) {
    const int integer = static_cast<int>(value);  // value >= 1e-9 here.
    if (integer == value) return (*small_index_)[integer];
  }
  return static_cast<int>(std::ceil(std::log(value) / log_gamma_));
}

double QuantileSketch::Value(int index) const {
  // The point of bucket (gamma^(i-1), gamma^i] with the same relative
  // distance to both ends.
  return 2 * std::pow(gamma_, index) / (gamma_ + 1);
}

void QuantileSketch::AddToBucket(int index, uint64_t n) {
  if (counts_.empty()) {
    // The span never exceeds max_buckets_: one allocation for the sketch's
    // life (Clear keeps it), none on later adds.
    Reserve();
    low_ = index;
    counts_.assign(1, n);
    return;
  }
  const int high = low_ + static_cast<int>(counts_.size()) - 1;
  if (index > high) {
    // Grow up; if the span would exceed max_buckets_, fold the lowest
    // buckets into the new lowest one.
    const int new_low = std::max(low_, index - max_buckets_ + 1);
    if (new_low > low_) {
      const size_t drop = std::min<size_t>(new_low - low_, counts_.size());
      uint64_t folded = 0;
      for (size_t i = 0; i < drop; ++i) folded += counts_[i];
      counts_.erase(counts_.begin(), counts_.begin() + drop);
      low_ = new_low;
      if (counts_.empty()) counts_.push_back(0);
      counts_[0] += folded;
    }
    counts_.resize(index - low_ + 1, 0);
  } else if (index < low_) {
    const int new_low = std::max(index, high - max_buckets_ + 1);
    if (new_low < low_) {
      counts_.insert(counts_.begin(), low_ - new_low, 0);
      low_ = new_low;
    }
    index = std::max(index, low_);
  }
  counts_[index - low_] += n;
}

void QuantileSketch::Add(double value, bool anomalous) {
  if (anomalous) {
    ++skipped_;
    return;
  }
  AddWeighted(value, 1);
}

void QuantileSketch::AddWeighted(double value, uint64_t weight) {
  if (weight == 0) return;
  count_ += weight;
  if (!(value >= 1e-9)) {
    zeros_ += weight;
    return;
  }
  AddToBucket(Index(value), weight);
}

void QuantileSketch::Clear() {
  low_ = 0;
  counts_.clear();
  zeros_ = count_ = skipped_ = 0;
}

void QuantileSketch::Merge(const QuantileSketch& other) {
  zeros_ += other.zeros_;
  count_ += other.count_;
  skipped_ += other.skipped_;
  other.ForEachBucket([this](int index, uint64_t n) { AddToBucket(index, n); });
}

double QuantileSketch::Quantile(double q) const {
  return QuantileOfUnion(*this, QuantileSketch(alpha_, max_buckets_), q);
}

bool QuantileSketch::UnionSpan(const QuantileSketch& a,
                               const QuantileSketch& b, int* low, int* top) {
  *low = INT32_MAX;
  *top = INT32_MIN;
  for (const QuantileSketch* s : {&a, &b}) {
    if (s->counts_.empty()) continue;
    *low = std::min(*low, s->low_);
    *top = std::max(*top, s->low_ + static_cast<int>(s->counts_.size()) - 1);
  }
  return *top != INT32_MIN;
}

double QuantileSketch::QuantileOfUnion(const QuantileSketch& a,
                                       const QuantileSketch& b, double q) {
  if (q > 0.5) {
    double quantile = 0;
    WalkDown<1>(a, b, &q, &quantile);
    return quantile;
  }
  const uint64_t count = a.count_ + b.count_;
  if (count == 0) return 0;
  const double rank = q * static_cast<double>(count - 1);
  uint64_t seen = a.zeros_ + b.zeros_;
  if (rank < static_cast<double>(seen)) return 0;
  int low, top;
  if (!UnionSpan(a, b, &low, &top)) return 0;
  for (int index = low; index <= top; ++index) {
    seen += a.CountAt(index) + b.CountAt(index);
    if (rank < static_cast<double>(seen)) return a.Value(index);
  }
  return a.Value(top);
}

void QuantileSketch::HighQuantilesOfUnion(const QuantileSketch& a,
                                          const QuantileSketch& b,
                                          double q_upper, double q_lower,
                                          double* upper, double* lower) {
  const double qs[2] = {q_upper, q_lower};
  double out[2];
  WalkDown<2>(a, b, qs, out);
  *upper = out[0];
  *lower = out[1];
}

template <int kCount>
void QuantileSketch::WalkDown(const QuantileSketch& a, const QuantileSketch& b,
                              const double* qs, double* out) {
  for (int k = 0; k < kCount; ++k) out[k] = 0;
  const uint64_t count = a.count_ + b.count_;
  if (count == 0) return;
  const uint64_t zeros = a.zeros_ + b.zeros_;
  int low, top;
  if (!UnionSpan(a, b, &low, &top)) return;
  // From the top (the engine asks for the 99th, 99.9th and 90th): the
  // answer is the lowest index whose cumulative count exceeds the rank,
  // and cumulative(i - 1) = cumulative(i) - count(i), so walking down
  // stops within a few buckets of the top. Same answer as walking up. A
  // lower rank's walk goes on from where the one above stopped: at every
  // bucket above, that one's test passed, so the lower's would have.
  // An empty bucket leaves the cumulative count as it is, so the walk
  // always passes it: runs of them (a heavy tail's top is mostly empty
  // buckets; the engine's refresh walked ~180 per minute) are skipped by
  // scanning each sketch's counts directly.
  uint64_t cumulative = count;
  int index = top;
  for (int k = 0; k < kCount; ++k) {
    const double rank = qs[k] * static_cast<double>(count - 1);
    if (rank < static_cast<double>(zeros)) return;  // This and the rest: 0.
    while (index > low) {
      const uint64_t here = a.CountAt(index) + b.CountAt(index);
      if (here == 0) {
        index = std::max({low, HighestCountBelow(a, index, low),
                          HighestCountBelow(b, index, low)});
        continue;
      }
      const uint64_t below = cumulative - here;
      if (!(rank < static_cast<double>(below))) break;
      cumulative = below;
      --index;
    }
    out[k] = a.Value(index);
  }
}

int QuantileSketch::HighestCountBelow(const QuantileSketch& s, int index,
                                      int low) {
  if (s.counts_.empty()) return low - 1;
  const int size = static_cast<int>(s.counts_.size());
  const int stop = std::max(low, s.low_) - s.low_;  // Lowest position.
  int i = std::min(index - s.low_, size) - 1;       // Highest below index.
  const uint64_t* c = s.counts_.data();
  for (; i - 3 >= stop; i -= 4) {
    if ((c[i] | c[i - 1] | c[i - 2] | c[i - 3]) != 0) break;
  }
  for (; i >= stop; --i) {
    if (c[i] != 0) return s.low_ + i;
  }
  return low - 1;
}

void QuantileSketch::Encode(StateWriter& w) const {
  w.Put<uint8_t>(1);
  w.Put(alpha_);
  w.Put<int32_t>(max_buckets_);
  w.Put(zeros_);
  w.Put(count_);
  w.Put(skipped_);
  uint64_t used = 0;
  ForEachBucket([&used](int, uint64_t) { ++used; });
  w.Put<uint64_t>(used);
  ForEachBucket([&w](int index, uint64_t n) {
    w.Put<int32_t>(index);
    w.Put(n);
  });
}

absl::StatusOr<QuantileSketch> QuantileSketch::Decode(StateReader& r) {
  if (r.Get<uint8_t>() != 1) r.Fail();
  const double alpha = r.Get<double>();
  const int32_t max_buckets = r.Get<int32_t>();
  if (!(alpha >= kMinAccuracy && alpha <= kMaxAccuracy) || max_buckets < 2 ||
      max_buckets > 1 << 20) {
    r.Fail();
  }
  absl::Status status = r.Check("quantile sketch");
  if (!status.ok()) return status;
  QuantileSketch s(alpha, max_buckets);
  s.zeros_ = r.Get<uint64_t>();
  s.count_ = r.Get<uint64_t>();
  s.skipped_ = r.Get<uint64_t>();
  const uint64_t buckets = r.Get<uint64_t>();
  if (buckets > static_cast<uint64_t>(max_buckets)) r.Fail();
  uint64_t total = s.zeros_;
  int32_t previous = INT32_MIN;
  for (uint64_t i = 0; r.ok() && i < buckets; ++i) {
    const int32_t index = r.Get<int32_t>();
    const uint64_t n = r.Get<uint64_t>();
    // Indices strictly increasing within one span of max_buckets.
    if (!r.ok() || index <= previous || n == 0 ||
        (i > 0 && static_cast<int64_t>(index) - s.low_ >= max_buckets)) {
      r.Fail();
      break;
    }
    previous = index;
    s.AddToBucket(index, n);
    total += n;
  }
  if (total != s.count_) r.Fail();
  status = r.Check("quantile sketch");
  if (!status.ok()) return status;
  return s;
}

}  // namespace vigie
