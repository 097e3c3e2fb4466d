// QuantileSketch: a robust baseline for heavy-tailed counts (how many people
// a pharmacist looks up per hour), answering "what is the median, the 99th
// percentile?" with a bounded relative error, after DDSketch (Masson et al.,
// VLDB 2019).
//
// Positive values fall into logarithmic buckets of ratio
// gamma = (1 + alpha) / (1 - alpha); a quantile is reported as the middle
// of its bucket, so any quantile of values >= 1e-9 is within relative error
// alpha of the exact one (default alpha = 2%). Zero and negative values are
// counted together as 0. Buckets are bounded (default 512, a dynamic range
// of gamma^512, nine orders of magnitude at 2%); beyond that the lowest
// buckets are collapsed into one, which only degrades the lowest quantiles.
//
// Warm-up: an empty sketch returns 0 for every quantile. Can refuse to learn
// like RunningMoments. Cost: Add O(1) (one log, one array increment; it
// allocates only when the span grows); Quantile O(span).
// Size 8 bytes per index in the span. Thread-compatible.
//
// Example:
//   QuantileSketch hourly;
//   hourly.Add(lookups_this_hour);
//   double p99 = hourly.Quantile(0.99);
#ifndef VIGIE_DETECTOR_STATS_QUANTILE_SKETCH_H_
#define VIGIE_DETECTOR_STATS_QUANTILE_SKETCH_H_

#include <array>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "detector/stats/state_codec.h"

namespace vigie {

class QuantileSketch {
 public:
  // The accuracies a sketch can have: below kMinAccuracy the buckets'
  // ratio is 1 to a double's precision and no value has an index.
  static constexpr double kMinAccuracy = 1e-6;
  static constexpr double kMaxAccuracy = 0.5;
  // REQUIRES: kMinAccuracy <= relative_accuracy <= kMaxAccuracy,
  // max_buckets >= 2.
  explicit QuantileSketch(double relative_accuracy = 0.02,
                          int max_buckets = 512);

  void Add(double value, bool anomalous = false);
  // As `weight` calls of Add(value): for a value learned from a sample that
  // stands for `weight` values. weight 0 adds nothing.
  void AddWeighted(double value, uint64_t weight);
  // REQUIRES: 0 <= q <= 1.
  double Quantile(double q) const;
  uint64_t count() const { return count_; }
  uint64_t skipped() const { return skipped_; }
  double relative_accuracy() const { return alpha_; }
  // The quantile of the union of two sketches' values, as
  // a.Merge(b); a.Quantile(q) would give but without copying (unless the
  // union needs more than max_buckets buckets, where Merge would collapse
  // the lowest ones). REQUIRES: the same relative accuracy.
  static double QuantileOfUnion(const QuantileSketch& a,
                                const QuantileSketch& b, double q);
  // Two high quantiles of the union in one walk down from the top:
  // *upper = QuantileOfUnion(a, b, q_upper), *lower = QuantileOfUnion(a, b,
  // q_lower), for the price of the walk to the lower one.
  // REQUIRES: 0.5 < q_lower <= q_upper <= 1, the same relative accuracy.
  static void HighQuantilesOfUnion(const QuantileSketch& a,
                                   const QuantileSketch& b, double q_upper,
                                   double q_lower, double* upper,
                                   double* lower);
  // Adds another sketch's values. REQUIRES: the same relative accuracy.
  void Merge(const QuantileSketch& other);
  // Forgets every value, keeping the accuracy and the memory.
  void Clear();
  // Takes the memory for max_buckets buckets now (~8 bytes each), so that
  // no later Add allocates. Add does it on the first value anyway.
  void Reserve() { counts_.reserve(static_cast<size_t>(max_buckets_)); }

  // Hints that a high quantile is about to be read: pulls the top buckets
  // towards the cache (what the walk down from the top reads first). The
  // sketch itself should be cached or on its way (its bucket array's
  // address is read here).
  void PrefetchTop() const {
    if (counts_.empty()) return;
    const uint64_t* top = counts_.data() + counts_.size() - 1;
    __builtin_prefetch(top);
    __builtin_prefetch(top - 8);
  }

  void Encode(StateWriter& w) const;
  static absl::StatusOr<QuantileSketch> Decode(StateReader& r);

 private:
  int Index(double value) const;
  double Value(int index) const;
  // The highest index below `index` and at or above `low` where `s` holds
  // a count; low - 1 when there is none.
  static int HighestCountBelow(const QuantileSketch& s, int index, int low);

  double alpha_;
  double gamma_;
  double log_gamma_;
  int max_buckets_;
  // Indices of small integers, for the default accuracy; else null.
  const std::array<int, 1024>* small_index_;
  // Applies `fn(index, count)` to non-empty buckets in index order.
  template <typename Fn>
  void ForEachBucket(Fn fn) const {
    for (size_t i = 0; i < counts_.size(); ++i) {
      if (counts_[i] != 0) fn(low_ + static_cast<int>(i), counts_[i]);
    }
  }
  void AddToBucket(int index, uint64_t n);
  // out[k] = QuantileOfUnion(a, b, qs[k]) for qs descending, each > 0.5,
  // in one walk down from the top.
  template <int kCount>
  static void WalkDown(const QuantileSketch& a, const QuantileSketch& b,
                       const double* qs, double* out);
  // The lowest and highest bucket either sketch holds; false if neither
  // holds any.
  static bool UnionSpan(const QuantileSketch& a, const QuantileSketch& b,
                        int* low, int* top);
  // The count of bucket `index` (0 outside the span).
  uint64_t CountAt(int index) const {
    const int i = index - low_;
    return i >= 0 && i < static_cast<int>(counts_.size()) ? counts_[i] : 0;
  }

  int low_ = 0;                   // Index of counts_[0].
  std::vector<uint64_t> counts_;  // Dense; at most max_buckets_ long.
  uint64_t zeros_ = 0;
  uint64_t count_ = 0;
  uint64_t skipped_ = 0;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_STATS_QUANTILE_SKETCH_H_
