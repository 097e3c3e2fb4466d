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
// 64-byte block, so a test costs one cache miss per generation instead of
// k. With millions of pairs the filter lives far outside the core's caches
// and those misses were the engine's largest single cost.
//
// False positives (a new pair reported as seen): each generation is sized
// so that the blocked filter's rate at `capacity` pairs (a Poisson mix of
// block loads, see expected_false_positive_rate) is at most
// `false_positive_rate`, so the rate is at most about twice that with both
// generations full (tested against the formula). There are no false
// negatives for pairs within the memory.
//
// Cost: one block read per generation, k = round(log2(1/p)) bits in it;
// memory about 2 × 1.5 × log2(1/p) × capacity bits, ~4% more than an
// unblocked filter at 1% (default 8 Mi pairs at 1%: 2 × 10 MiB).
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
  size_t bytes() const { return 2 * blocks_ * sizeof(Block) + sizeof(*this); }
  uint64_t generation_size() const { return current_count_; }
  uint64_t rotations() const { return rotations_; }

  // "VNOV", version 2, parameters, both bit arrays. DataLoss on bad bytes.
  std::string Serialize() const;
  static absl::StatusOr<std::unique_ptr<NoveltyFilter>> Deserialize(
      absl::string_view bytes);

 private:
  // One cache line of bits.
  struct alignas(64) Block {
    uint64_t words[8];
  };
  static constexpr int kBlockBits = 512;

  NoveltyFilter(uint64_t capacity, uint64_t blocks, int hashes);
  static uint64_t PairHash(uint64_t scope, uint64_t key);
  uint64_t BlockIndex(uint64_t pair_hash) const;
  // The pair's block and, in `mask`, its k bits within the block.
  uint64_t BlockOf(uint64_t scope, uint64_t key, Block* mask) const;
  static bool Covers(const Block& bits, const Block& mask);
  // False-positive rate of one generation of `blocks` blocks holding `n`
  // pairs with `hashes` bits each.
  static double BlockedRate(double n, uint64_t blocks, int hashes);

  uint64_t capacity_;
  uint64_t blocks_;  // Per generation.
  int hashes_;
  std::vector<Block> current_;
  std::vector<Block> previous_;
  uint64_t current_count_ = 0;
  uint64_t rotations_ = 0;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_STATS_NOVELTY_FILTER_H_
