#include "detector/stats/novelty_filter.h"

#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "detector/internal/huge_pages.h"

namespace vigie {
namespace {

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

void AppendU64(uint64_t v, std::string* out) {
  char b[8];
  memcpy(b, &v, 8);
  out->append(b, 8);
}

uint64_t ReadU64(const char* p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

}  // namespace

double NoveltyFilter::BlockedRate(double n, uint64_t blocks, int hashes) {
  // A half holding j pairs has each bit set with probability
  // 1 - (1 - 1/256)^(k j); the load j of a half is Poisson(n / blocks).
  const double load = n / static_cast<double>(blocks);
  const double miss_one = std::log1p(-1.0 / kHalfBits);
  double rate = 0;
  const int last = static_cast<int>(load + 10 * std::sqrt(load) + 60);
  for (int j = 0; j <= last; ++j) {
    const double log_poisson =
        (load > 0 ? j * std::log(load) : (j == 0 ? 0.0 : -INFINITY)) - load -
        std::lgamma(j + 1.0);
    const double bit_set = -std::expm1(miss_one * hashes * j);
    rate += std::exp(log_poisson) * std::pow(bit_set, hashes);
  }
  return rate;
}

absl::StatusOr<std::unique_ptr<NoveltyFilter>> NoveltyFilter::Create(
    const Options& options) {
  if (options.capacity < 1 || options.capacity > (uint64_t{1} << 36)) {
    return absl::InvalidArgumentError(
        "novelty filter: capacity must be in 1..2^36");
  }
  const double p = options.false_positive_rate;
  if (!(p > 0 && p < 0.5)) {
    return absl::InvalidArgumentError(
        "novelty filter: false_positive_rate must be in (0, 0.5)");
  }
  const int hashes =
      std::max(1, static_cast<int>(std::round(-std::log2(p))));
  // Start from the unblocked filter's size, which is always too small for
  // a blocked one, and grow by 1% steps (blocking costs a few percent).
  const double ln2 = std::log(2.0);
  const double n = static_cast<double>(options.capacity);
  uint64_t blocks = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::ceil(-n * std::log(p) / (ln2 * ln2) /
                                         kHalfBits)));
  while (BlockedRate(n, blocks, hashes) > p) blocks += blocks / 100 + 1;
  return std::unique_ptr<NoveltyFilter>(
      new NoveltyFilter(options.capacity, blocks, hashes));
}

NoveltyFilter::NoveltyFilter(uint64_t capacity, uint64_t blocks, int hashes)
    : capacity_(capacity), blocks_(blocks), hashes_(hashes) {
  lines_.reserve(blocks);
  internal::AdviseHugePages(lines_.data(), blocks * sizeof(Line));
  lines_.resize(blocks);
}

uint64_t NoveltyFilter::PairHash(uint64_t scope, uint64_t key) {
  return Mix(scope * 0x9e3779b97f4a7c15ull ^ key);
}

uint64_t NoveltyFilter::LineIndex(uint64_t pair_hash) const {
  // Multiply-shift maps the hash onto [0, blocks) without a division.
  return static_cast<uint64_t>(
      (static_cast<unsigned __int128>(pair_hash) * blocks_) >> 64);
}

uint64_t NoveltyFilter::LineOf(uint64_t scope, uint64_t key,
                               Half* mask) const {
  const uint64_t h1 = PairHash(scope, key);
  uint64_t h2 = Mix(h1 ^ 0x5bd1e9955bd1e995ull);
  *mask = Half{};
  // Eight bits of h2 name a bit of the half; eight fit in one hash.
  for (int i = 0, left = 8; i < hashes_; ++i, --left) {
    if (left == 0) {
      h2 = Mix(h2);
      left = 8;
    }
    const unsigned bit = static_cast<unsigned>(h2 & (kHalfBits - 1));
    h2 >>= 8;
    mask->words[bit >> 6] |= uint64_t{1} << (bit & 63);
  }
  return LineIndex(h1);
}

bool NoveltyFilter::Covers(const Half& bits, const Half& mask) {
  uint64_t missing = 0;
  for (int w = 0; w < 4; ++w) missing |= mask.words[w] & ~bits.words[w];
  return missing == 0;
}

bool NoveltyFilter::Contains(uint64_t scope, uint64_t key) const {
  Half mask;
  const Line& line = lines_[LineOf(scope, key, &mask)];
  return Covers(line.halves[0], mask) || Covers(line.halves[1], mask);
}

void NoveltyFilter::Prefetch(uint64_t scope, uint64_t key) const {
  __builtin_prefetch(&lines_[LineIndex(PairHash(scope, key))]);
}

bool NoveltyFilter::TestAndInsert(uint64_t scope, uint64_t key) {
  Half mask;
  Line* line = &lines_[LineOf(scope, key, &mask)];
  if (Covers(line->halves[current_], mask)) return false;
  const bool seen_before = Covers(line->halves[1 - current_], mask);
  if (current_count_ >= capacity_) {
    // The previous generation's halves become the fresh current one.
    current_ = 1 - current_;
    for (Line& l : lines_) l.halves[current_] = Half{};
    current_count_ = 0;
    ++rotations_;
  }
  Half& bits = line->halves[current_];
  for (int w = 0; w < 4; ++w) bits.words[w] |= mask.words[w];
  ++current_count_;
  return !seen_before;
}

double NoveltyFilter::expected_false_positive_rate() const {
  const double one =
      BlockedRate(static_cast<double>(capacity_), blocks_, hashes_);
  return 1.0 - (1.0 - one) * (1.0 - one);
}

std::string NoveltyFilter::Serialize() const {
  std::string out = "VNOV";
  out.push_back(3);
  AppendU64(capacity_, &out);
  AppendU64(blocks_, &out);
  AppendU64(static_cast<uint64_t>(hashes_), &out);
  AppendU64(current_count_, &out);
  AppendU64(rotations_, &out);
  AppendU64(static_cast<uint64_t>(current_), &out);
  out.append(reinterpret_cast<const char*>(lines_.data()),
             blocks_ * sizeof(Line));
  return out;
}

absl::StatusOr<std::unique_ptr<NoveltyFilter>> NoveltyFilter::Deserialize(
    absl::string_view bytes) {
  constexpr size_t kHeader = 5 + 6 * 8;
  if (bytes.size() < kHeader || bytes.substr(0, 4) != "VNOV") {
    return absl::DataLossError("novelty filter: bad header");
  }
  if (bytes[4] == 2) {
    return absl::DataLossError(
        "novelty filter: version 2 (one block per generation), written by an "
        "older build; this build reads version 3");
  }
  if (bytes[4] != 3) {
    return absl::DataLossError("novelty filter: unknown version");
  }
  const char* p = bytes.data() + 5;
  const uint64_t capacity = ReadU64(p);
  const uint64_t blocks = ReadU64(p + 8);
  const uint64_t hashes = ReadU64(p + 16);
  const uint64_t count = ReadU64(p + 24);
  const uint64_t rotations = ReadU64(p + 32);
  const uint64_t current = ReadU64(p + 40);
  if (capacity < 1 || capacity > (uint64_t{1} << 36) || blocks < 1 ||
      blocks > (uint64_t{1} << 31) || hashes < 1 || hashes > 64 ||
      count > capacity || current > 1) {
    return absl::DataLossError("novelty filter: parameters out of range");
  }
  // Create never puts more pairs in a block than a half has bits (at most
  // ~180 for any rate it accepts); more would mean nothing, and the false
  // positive rate's sum runs over the pairs a block holds.
  if (capacity > blocks * kHalfBits) {
    return absl::DataLossError(
        "novelty filter: more pairs than bits in a block");
  }
  const uint64_t line_bytes = blocks * sizeof(Line);
  if (bytes.size() != kHeader + line_bytes) {
    return absl::DataLossError(absl::StrCat("novelty filter: expected ",
                                            kHeader + line_bytes,
                                            " bytes, got ", bytes.size()));
  }
  std::unique_ptr<NoveltyFilter> filter(
      new NoveltyFilter(capacity, blocks, static_cast<int>(hashes)));
  memcpy(filter->lines_.data(), bytes.data() + kHeader, line_bytes);
  filter->current_count_ = count;
  filter->current_ = static_cast<int>(current);
  filter->rotations_ = rotations;
  return filter;
}

}  // namespace vigie
