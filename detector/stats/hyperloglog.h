// HyperLogLog: a mergeable distinct-count sketch over 64-bit hashes
// (Flajolet et al. 2007), for counts too large to keep exactly: distinct
// people read by a robot account, distinct accounts behind one address.
//
// Accuracy: relative standard error 1.04 / sqrt(2^precision); at the
// default precision 14 (16,384 one-byte registers, 16 KiB) that is 0.81%,
// so estimates of 10^6 distinct items are within 2% with probability
// ~98.6% (tested against exact counts over many seeds). Small cardinalities
// use linear counting (exact-like below ~2.5 × 2^precision / 10). An empty
// sketch estimates 0.
//
// Inputs must already be well-mixed 64-bit hashes (pseudonyms, SipHash or
// StableHash64 outputs). Value type: copy, Merge, Serialize/Deserialize
// (versioned header; DataLoss on malformed bytes). Cost: Add O(1), no
// allocation; Estimate O(2^precision). Thread-compatible.
//
// Example:
//   HyperLogLog hll(14);
//   for (uint64_t subject : subjects) hll.Add(subject);
//   double distinct = hll.Estimate();
#ifndef VIGIE_DETECTOR_STATS_HYPERLOGLOG_H_
#define VIGIE_DETECTOR_STATS_HYPERLOGLOG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vigie {

class HyperLogLog {
 public:
  static constexpr int kMinPrecision = 4;
  static constexpr int kMaxPrecision = 18;
  static constexpr int kDefaultPrecision = 14;

  // REQUIRES: kMinPrecision <= precision <= kMaxPrecision.
  explicit HyperLogLog(int precision = kDefaultPrecision);

  void Add(uint64_t hash) {
    const uint32_t index = static_cast<uint32_t>(hash >> (64 - precision_));
    const uint64_t rest = hash << precision_;
    // Rank: position of the first 1 bit in the remaining 64 - p bits.
    const uint8_t rank =
        rest == 0 ? static_cast<uint8_t>(64 - precision_ + 1)
                  : static_cast<uint8_t>(__builtin_clzll(rest) + 1);
    if (rank > registers_[index]) registers_[index] = rank;
  }

  double Estimate() const;

  // InvalidArgument when the precisions differ.
  absl::Status Merge(const HyperLogLog& other);

  int precision() const { return precision_; }
  size_t bytes() const { return registers_.size() + sizeof(*this); }

  // "VHLL", version 1, precision, registers.
  std::string Serialize() const;
  static absl::StatusOr<HyperLogLog> Deserialize(absl::string_view bytes);

  // Estimate from register values (shared with the sliding variant).
  static double EstimateFromRegisters(const uint8_t* registers, int precision);

 private:
  int precision_;
  std::vector<uint8_t> registers_;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_STATS_HYPERLOGLOG_H_
