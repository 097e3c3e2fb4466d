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

void QuantileSketch::Merge(const QuantileSketch& other) {
  zeros_ += other.zeros_;
  count_ += other.count_;
  skipped_ += other.skipped_;
  for (const auto& [index, n] : other.buckets_) buckets_[index] += n;
  while (static_cast<int>(buckets_.size()) > max_buckets_) {
    auto lowest = buckets_.begin();
    std::next(lowest)->second += lowest->second;
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

void QuantileSketch::Encode(StateWriter& w) const {
  w.Put<uint8_t>(1);
  w.Put(alpha_);
  w.Put<int32_t>(max_buckets_);
  w.Put(zeros_);
  w.Put(count_);
  w.Put(skipped_);
  w.Put<uint64_t>(buckets_.size());
  for (const auto& [index, n] : buckets_) {
    w.Put<int32_t>(index);
    w.Put(n);
  }
}

absl::StatusOr<QuantileSketch> QuantileSketch::Decode(StateReader& r) {
  if (r.Get<uint8_t>() != 1) r.Fail();
  const double alpha = r.Get<double>();
  const int32_t max_buckets = r.Get<int32_t>();
  if (!(alpha > 0 && alpha < 1) || max_buckets < 2 || max_buckets > 1 << 20) {
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
  for (uint64_t i = 0; r.ok() && i < buckets; ++i) {
    const int32_t index = r.Get<int32_t>();
    const uint64_t n = r.Get<uint64_t>();
    s.buckets_[index] = n;
    total += n;
  }
  if (total != s.count_) r.Fail();
  status = r.Check("quantile sketch");
  if (!status.ok()) return status;
  return s;
}

}  // namespace vigie
