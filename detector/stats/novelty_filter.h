// NoveltyFilter: "is this the first time this account sees this subject /
// address / network / user agent?" for every account at once, in bounded
// memory.
//
// Why: a compromised account reads people it never read before, from
// addresses and networks it never used; a doctor mostly re-reads a panel.
// Exact per-account history would grow without bound, so pairs
// (scope, key) — scope the account id and kind, key the pseudonym, address
// or hash — go into two generations of Bloom filters. New pairs are written
// to the current generation; when it holds `capacity` pairs, it becomes the
// previous one and a fresh current starts, so the filter remembers between
// `capacity` and 2 × `capacity` of the most recent pairs and forgets older
// ones (a pair seen again is refreshed into the current generation).
//
// False positives (a new pair reported as seen): each generation is sized
// for `false_positive_rate` at `capacity` pairs, so the rate is at most
// about twice that with both generations full (tested against the
// formula). There are no false negatives for pairs within the memory.
//
// Cost: k = round(log2(1/p)) bit probes per test; memory 2 × 1.44 ×
// log2(1/p) × capacity bits (default 8 Mi pairs at 1%: 2 × 9.6 MiB).
// Thread-compatible.
//
// Example:
//   auto filter = NoveltyFilter::Create(NoveltyFilter::Options()).value();
//   bool first_time = filter->TestAndInsert(account_scope, event.subject);
#ifndef VIGIE_DETECTOR_STATS_NOVELTY_FILTER_H_
#define VIGIE_DETECTOR_STATS_NOVELTY_FILTER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vigie {

class NoveltyFilter {
 public:
  struct Options {
    // Pairs per generation. Default: 8 Mi.
    uint64_t capacity = uint64_t{1} << 23;
    // False-positive rate of one full generation. Default: 1%.
    double false_positive_rate = 0.01;
  };

  // InvalidArgument unless capacity >= 1 and 0 < rate < 0.5.
  static absl::StatusOr<std::unique_ptr<NoveltyFilter>> Create(
      const Options& options);

  // True when (scope, key) is new; records it either way.
  bool TestAndInsert(uint64_t scope, uint64_t key);
  // True when (scope, key) is remembered. Does not record.
  bool Contains(uint64_t scope, uint64_t key) const;

  // Rate of the filter with both generations full:
  // 1 - (1 - p_one)^2 with p_one = (1 - e^(-k n / m))^k.
  double expected_false_positive_rate() const;
  size_t bytes() const { return 2 * words_ * sizeof(uint64_t) + sizeof(*this); }
  uint64_t generation_size() const { return current_count_; }
  uint64_t rotations() const { return rotations_; }

  // "VNOV", version 1, parameters, both bit arrays. DataLoss on bad bytes.
  std::string Serialize() const;
  static absl::StatusOr<std::unique_ptr<NoveltyFilter>> Deserialize(
      absl::string_view bytes);

 private:
  NoveltyFilter(uint64_t capacity, uint64_t bits, int hashes);
  bool Probe(const std::vector<uint64_t>& bits, uint64_t h1, uint64_t h2) const;
  void Set(std::vector<uint64_t>& bits, uint64_t h1, uint64_t h2);

  uint64_t capacity_;
  uint64_t bits_;   // Bits per generation.
  uint64_t words_;  // 64-bit words per generation.
  int hashes_;
  std::vector<uint64_t> current_;
  std::vector<uint64_t> previous_;
  uint64_t current_count_ = 0;
  uint64_t rotations_ = 0;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_STATS_NOVELTY_FILTER_H_
