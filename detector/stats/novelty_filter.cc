#include "detector/stats/novelty_filter.h"

#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"

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
  const double ln2 = std::log(2.0);
  const uint64_t bits = std::max<uint64_t>(
      64, static_cast<uint64_t>(std::ceil(-static_cast<double>(options.capacity) *
                                          std::log(p) / (ln2 * ln2))));
  const int hashes =
      std::max(1, static_cast<int>(std::round(-std::log2(p))));
  return std::unique_ptr<NoveltyFilter>(
      new NoveltyFilter(options.capacity, bits, hashes));
}

NoveltyFilter::NoveltyFilter(uint64_t capacity, uint64_t bits, int hashes)
    : capacity_(capacity),
      bits_((bits + 63) / 64 * 64),
      words_((bits + 63) / 64),
      hashes_(hashes),
      current_(words_, 0),
      previous_(words_, 0) {}

bool NoveltyFilter::Probe(const std::vector<uint64_t>& bits, uint64_t h1,
                          uint64_t h2) const {
  for (int i = 0; i < hashes_; ++i) {
    const uint64_t bit = (h1 + static_cast<uint64_t>(i) * h2) % bits_;
    if ((bits[bit >> 6] & (uint64_t{1} << (bit & 63))) == 0) return false;
  }
  return true;
}

void NoveltyFilter::Set(std::vector<uint64_t>& bits, uint64_t h1,
                        uint64_t h2) {
  for (int i = 0; i < hashes_; ++i) {
    const uint64_t bit = (h1 + static_cast<uint64_t>(i) * h2) % bits_;
    bits[bit >> 6] |= uint64_t{1} << (bit & 63);
  }
}

bool NoveltyFilter::Contains(uint64_t scope, uint64_t key) const {
  const uint64_t h1 = Mix(scope * 0x9e3779b97f4a7c15ull ^ key);
  const uint64_t h2 = Mix(h1 ^ 0x5bd1e9955bd1e995ull) | 1;
  return Probe(current_, h1, h2) || Probe(previous_, h1, h2);
}

bool NoveltyFilter::TestAndInsert(uint64_t scope, uint64_t key) {
  const uint64_t h1 = Mix(scope * 0x9e3779b97f4a7c15ull ^ key);
  const uint64_t h2 = Mix(h1 ^ 0x5bd1e9955bd1e995ull) | 1;
  if (Probe(current_, h1, h2)) return false;
  const bool seen_before = Probe(previous_, h1, h2);
  if (current_count_ >= capacity_) {
    previous_.swap(current_);
    std::fill(current_.begin(), current_.end(), 0);
    current_count_ = 0;
    ++rotations_;
  }
  Set(current_, h1, h2);
  ++current_count_;
  return !seen_before;
}

double NoveltyFilter::expected_false_positive_rate() const {
  const double one = std::pow(
      1.0 - std::exp(-static_cast<double>(hashes_) * capacity_ / bits_),
      hashes_);
  return 1.0 - (1.0 - one) * (1.0 - one);
}

std::string NoveltyFilter::Serialize() const {
  std::string out = "VNOV";
  out.push_back(1);
  AppendU64(capacity_, &out);
  AppendU64(bits_, &out);
  AppendU64(static_cast<uint64_t>(hashes_), &out);
  AppendU64(current_count_, &out);
  AppendU64(rotations_, &out);
  out.append(reinterpret_cast<const char*>(current_.data()), words_ * 8);
  out.append(reinterpret_cast<const char*>(previous_.data()), words_ * 8);
  return out;
}

absl::StatusOr<std::unique_ptr<NoveltyFilter>> NoveltyFilter::Deserialize(
    absl::string_view bytes) {
  constexpr size_t kHeader = 5 + 5 * 8;
  if (bytes.size() < kHeader || bytes.substr(0, 4) != "VNOV") {
    return absl::DataLossError("novelty filter: bad header");
  }
  if (bytes[4] != 1) return absl::DataLossError("novelty filter: unknown version");
  const char* p = bytes.data() + 5;
  const uint64_t capacity = ReadU64(p);
  const uint64_t bits = ReadU64(p + 8);
  const uint64_t hashes = ReadU64(p + 16);
  const uint64_t count = ReadU64(p + 24);
  const uint64_t rotations = ReadU64(p + 32);
  if (capacity < 1 || capacity > (uint64_t{1} << 36) || bits < 64 ||
      bits % 64 != 0 || bits > (uint64_t{1} << 40) || hashes < 1 ||
      hashes > 64 || count > capacity) {
    return absl::DataLossError("novelty filter: parameters out of range");
  }
  const uint64_t words = bits / 64;
  if (bytes.size() != kHeader + 2 * words * 8) {
    return absl::DataLossError(absl::StrCat(
        "novelty filter: expected ", kHeader + 2 * words * 8, " bytes, got ",
        bytes.size()));
  }
  std::unique_ptr<NoveltyFilter> filter(
      new NoveltyFilter(capacity, bits, static_cast<int>(hashes)));
  memcpy(filter->current_.data(), bytes.data() + kHeader, words * 8);
  memcpy(filter->previous_.data(), bytes.data() + kHeader + words * 8,
         words * 8);
  filter->current_count_ = count;
  filter->rotations_ = rotations;
  return filter;
}

}  // namespace vigie
