#include "detector/stats/quantile_sketch.h"

#include <cmath>

namespace vigie {

QuantileSketch::QuantileSketch(double relative_accuracy, int max_buckets)
    : alpha_(relative_accuracy),
      gamma_((1 + relative_accuracy) / (1 - relative_accuracy)),
      log_gamma_(std::log(gamma_)),
      max_buckets_(max_buckets) {}

int QuantileSketch::Index(double value) const {
  return static_cast<int>(std::ceil(std::log(value) / log_gamma_));
}

double QuantileSketch::Value(int index) const {
  // The point of bucket (gamma^(i-1), gamma^i] with the same relative
  // distance to both ends.
  return 2 * std::pow(gamma_, index) / (gamma_ + 1);
}

void QuantileSketch::Add(double value, bool anomalous) {
  if (anomalous) {
    ++skipped_;
    return;
  }
  ++count_;
  if (!(value >= 1e-9)) {
    ++zeros_;
    return;
  }
  ++buckets_[Index(value)];
  if (static_cast<int>(buckets_.size()) > max_buckets_) {
    // Collapse the two lowest buckets.
    auto lowest = buckets_.begin();
    auto next = std::next(lowest);
    next->second += lowest->second;
    buckets_.erase(lowest);
  }
}

double QuantileSketch::Quantile(double q) const {
  if (count_ == 0) return 0;
  const double rank = q * static_cast<double>(count_ - 1);
  uint64_t seen = zeros_;
  if (rank < static_cast<double>(seen)) return 0;
  for (const auto& [index, n] : buckets_) {
    seen += n;
    if (rank < static_cast<double>(seen)) return Value(index);
  }
  return Value(buckets_.rbegin()->first);
}

}  // namespace vigie
