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
// The filters are blocked (Putze, Sanders, Singler, "Cache-, hash- and
// space-efficient Bloom filters", 2007): a pair's k bits all lie in one
// 256-bit half-line, and the two generations' half-lines for the same pair
// share one 64-byte cache line, so a test costs one cache miss in all.
// With millions of pairs the filter lives far outside the core's caches
// and those misses were the engine's largest single cost: with a block per
// generation the two misses per test filled the core's line-fill buffers
// and stalled the prefetches of the other events in a batch.
//
// False positives (a new pair reported as seen): each generation is sized
// so that the blocked filter's rate at `capacity` pairs (a Poisson mix of
// block loads, see expected_false_positive_rate) is at most
// `false_positive_rate`, so the rate is at most about twice that with both
// generations full (tested against the formula). There are no false
// negatives for pairs within the memory.
//
// Cost: one cache line per test, k = round(log2(1/p)) bits in its
// generation's half; memory about 2 × 1.55 × log2(1/p) × capacity bits,
// ~7% more than an unblocked filter at 1% (3% more than with a 512-bit
// block per generation; default 8 Mi pairs at 1%: 20.6 MiB in all). A
// rotation clears the old generation's half of every line.
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
  // Hints that (scope, key) will be tested soon: pulls its block of both
  // generations towards the cache, so a batch can overlap the misses of
  // several tests. Changes nothing.
  void Prefetch(uint64_t scope, uint64_t key) const;

  // Rate of the filter with both generations full:
  // 1 - (1 - p_one)^2 with p_one = (1 - e^(-k n / m))^k.
  double expected_false_positive_rate() const;
  size_t bytes() const { return blocks_ * sizeof(Line) + sizeof(*this); }
  uint64_t generation_size() const { return current_count_; }
  uint64_t rotations() const { return rotations_; }

  // "VNOV", version 3, parameters, the lines. DataLoss on bad bytes (and on
  // version 2, the layout of one block per generation, of older builds).
  std::string Serialize() const;
  static absl::StatusOr<std::unique_ptr<NoveltyFilter>> Deserialize(
      absl::string_view bytes);

 private:
  // One generation's bits for the pairs of one line.
  struct Half {
    uint64_t words[4];
  };
  static constexpr int kHalfBits = 256;
  // One cache line: both generations' halves, indexed by generation.
  struct alignas(64) Line {
    Half halves[2];
  };

  NoveltyFilter(uint64_t capacity, uint64_t blocks, int hashes);
  static uint64_t PairHash(uint64_t scope, uint64_t key);
  uint64_t LineIndex(uint64_t pair_hash) const;
  // The pair's line and, in `mask`, its k bits within a half.
  uint64_t LineOf(uint64_t scope, uint64_t key, Half* mask) const;
  static bool Covers(const Half& bits, const Half& mask);
  // False-positive rate of one generation of `blocks` halves holding `n`
  // pairs with `hashes` bits each.
  static double BlockedRate(double n, uint64_t blocks, int hashes);

  uint64_t capacity_;
  uint64_t blocks_;  // Lines, and halves per generation.
  int hashes_;
  std::vector<Line> lines_;
  int current_ = 0;  // Which half of each line is the current generation.
  uint64_t current_count_ = 0;
  uint64_t rotations_ = 0;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_STATS_NOVELTY_FILTER_H_
