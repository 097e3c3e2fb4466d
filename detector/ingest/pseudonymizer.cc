#include "detector/ingest/pseudonymizer.h"

#include <sodium.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace vigie {
namespace {

static_assert(crypto_shorthash_KEYBYTES == 16, "SipHash-2-4 key size");
static_assert(crypto_shorthash_BYTES == 8, "SipHash-2-4 output size");

void EnsureSodium() {
  static const bool initialised = [] { return sodium_init() >= 0; }();
  (void)initialised;
}

// Derives a 16-byte sub-key per purpose: BLAKE2b keyed by the master key
// over a domain label, so the pseudonyms of different purposes are
// unrelated and the master key is never used directly.
std::array<uint8_t, 16> DeriveKey(const PseudonymKey& key,
                                  absl::string_view domain) {
  std::array<uint8_t, 16> out{};
  crypto_generichash(out.data(), out.size(),
                     reinterpret_cast<const unsigned char*>(domain.data()),
                     domain.size(), key.bytes.data(), key.bytes.size());
  return out;
}

uint64_t SipHash(const std::array<uint8_t, 16>& key, const char* data,
                 size_t size) {
  unsigned char out[8];
  crypto_shorthash(out, reinterpret_cast<const unsigned char*>(data), size,
                   key.data());
  uint64_t value;
  memcpy(&value, out, 8);
  return value;
}

// True when normalising `subject` (see Subject) would leave it as it is:
// it holds no space and no lower-case ASCII letter, as nearly every logged
// NIR. The test asks whether any byte is odd, so loads that overlap (the
// last 16 bytes, or the first and last 8 or 4) answer it without reading
// outside the subject. It used to copy the tail into a zeroed stack block
// and load that: the 16-byte load then waited for the copy's narrower
// stores to retire (no store-to-load forwarding), ~70 ns a record on the
// replay's reading thread.
bool IsNormalSubject(absl::string_view subject) {
  const char* p = subject.data();
  const size_t n = subject.size();
#ifdef __SSE2__
  const __m128i space = _mm_set1_epi8(' ');
  // Signed compares: bytes from 0x80 up (UTF-8) are negative, never a-z;
  // zero bytes (unused lanes below) are neither.
  const __m128i below_a = _mm_set1_epi8('a' - 1);
  const __m128i above_z = _mm_set1_epi8('z' + 1);
  const auto has_odd_byte = [&](__m128i v) {
    const __m128i lower = _mm_and_si128(_mm_cmpgt_epi8(v, below_a),
                                        _mm_cmplt_epi8(v, above_z));
    return _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, space), lower)) !=
           0;
  };
  const auto load16 = [](const char* at) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
  };
  if (n >= 16) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
      if (has_odd_byte(load16(p + i))) return false;
    }
    return i == n || !has_odd_byte(load16(p + n - 16));
  }
  if (n >= 8) {
    uint64_t first, last;
    memcpy(&first, p, 8);
    memcpy(&last, p + n - 8, 8);
    return !has_odd_byte(_mm_set_epi64x(static_cast<int64_t>(last),
                                        static_cast<int64_t>(first)));
  }
  if (n >= 4) {
    uint32_t first, last;
    memcpy(&first, p, 4);
    memcpy(&last, p + n - 4, 4);
    return !has_odd_byte(_mm_set_epi32(0, 0, static_cast<int32_t>(last),
                                       static_cast<int32_t>(first)));
  }
#endif
  for (size_t i = 0; i < n; ++i) {
    if (p[i] == ' ' || (p[i] >= 'a' && p[i] <= 'z')) return false;
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<PseudonymKey> ParsePseudonymKey(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  PseudonymKey key;
  if (text.size() != 64) {
    return absl::InvalidArgumentError("expected 64 hexadecimal characters");
  }
  for (int i = 0; i < 32; ++i) {
    int hi = HexValue(text[2 * i]);
    int lo = HexValue(text[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError("expected 64 hexadecimal characters");
    }
    key.bytes[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return key;
}

absl::StatusOr<PseudonymKey> LoadPseudonymKey(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    int err = errno;
    std::string message = absl::StrCat("pseudonym key file ", path, ": ",
                                       strerror(err));
    if (err == ENOENT) return absl::NotFoundError(message);
    if (err == EACCES) return absl::PermissionDeniedError(message);
    return absl::UnavailableError(message);
  }
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<PseudonymKey> key = ParsePseudonymKey(text.str());
  if (!key.ok()) {
    // Never echo the content: it may be a (damaged) secret.
    return absl::InvalidArgumentError(absl::StrCat(
        "pseudonym key file ", path, ": expected 64 hexadecimal characters"));
  }
  return key;
}

PseudonymKey GeneratePseudonymKey() {
  EnsureSodium();
  PseudonymKey key;
  randombytes_buf(key.bytes.data(), key.bytes.size());
  return key;
}

std::string FormatPseudonymKey(const PseudonymKey& key) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : key.bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

Pseudonymizer::Pseudonymizer(const PseudonymKey& key) {
  EnsureSodium();
  subject_key_ = DeriveKey(key, "vigie subject v1");
  prefix_key_ = DeriveKey(key, "vigie nir prefix v1");
  fingerprint_key_ = DeriveKey(key, "vigie key fingerprint v1");
}

uint64_t Pseudonymizer::Subject(absl::string_view subject) const {
  // Spaces dropped and ASCII letters upper-cased; a subject already in that
  // form is hashed where it lies.
  char buffer[256];
  std::string long_buffer;
  absl::string_view normal = subject;
  if (!IsNormalSubject(subject)) {
    char* out = buffer;
    if (subject.size() > sizeof(buffer)) {
      long_buffer.resize(subject.size());
      out = &long_buffer[0];
    }
    size_t n = 0;
    for (char c : subject) {
      if (c == ' ') continue;
      out[n++] = absl::ascii_toupper(static_cast<unsigned char>(c));
    }
    normal = absl::string_view(out, n);
  }
  const uint64_t value = SipHash(subject_key_, normal.data(), normal.size());
  return value == 0 ? 1 : value;
}

uint32_t Pseudonymizer::NirPrefix(absl::string_view prefix) const {
  uint64_t value = SipHash(prefix_key_, prefix.data(), prefix.size());
  uint32_t folded = static_cast<uint32_t>(value ^ (value >> 32));
  return folded == 0 ? 1 : folded;
}

uint64_t Pseudonymizer::KeyFingerprint() const {
  static constexpr char kLabel[] = "fingerprint";
  return SipHash(fingerprint_key_, kLabel, sizeof(kLabel) - 1);
}

}  // namespace vigie
