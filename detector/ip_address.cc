#include "detector/ip_address.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/status/status.h"

namespace vigie {
namespace {

// Dotted-quad IPv4, as inet_pton(AF_INET) reads it: four decimal parts of
// one to three digits, each at most 255, no leading zero. Unrolled by
// part and digit (an address is parsed for nearly every text record, and
// the loop with its checks took ~150 instructions).
bool ParseV4(absl::string_view text, uint32_t* out) {
  const size_t n = text.size();
  if (n < 7 || n > 15) return false;
  const char* p = text.data();
  const char* const end = p + n;
  const auto digit = [&end](const char* at) {
    return at < end ? static_cast<unsigned>(*at) - '0' : 10u;
  };
  uint32_t value = 0;
  for (int part = 0; part < 4; ++part) {
    unsigned v = digit(p);
    if (v > 9) return false;
    ++p;
    const unsigned second = digit(p);
    if (second <= 9) {
      if (v == 0) return false;  // A leading zero.
      v = v * 10 + second;
      ++p;
      const unsigned third = digit(p);
      if (third <= 9) {
        v = v * 10 + third;
        ++p;
        if (v > 255) return false;
      }
    }
    value = (value << 8) | v;
    if (part < 3) {
      if (p == end || *p != '.') return false;
      ++p;
    }
  }
  if (p != end) return false;
  *out = value;
  return true;
}

uint64_t LoadBigEndian64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

void StoreBigEndian64(uint64_t v, uint8_t* p) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}

}  // namespace

absl::StatusOr<IpAddress> IpAddress::FromBytes(absl::string_view bytes) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(bytes.data());
  if (bytes.size() == 4) {
    return FromV4((uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
                  (uint32_t{p[2]} << 8) | p[3]);
  }
  if (bytes.size() == 16) {
    return FromHalves(LoadBigEndian64(p), LoadBigEndian64(p + 8));
  }
  return absl::InvalidArgumentError("expected 4 or 16 bytes");
}

absl::StatusOr<IpAddress> IpAddress::Parse(absl::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("empty");
  uint32_t v4;
  if (ParseV4(text, &v4)) return FromV4(v4);
  // IPv6: at most 45 characters ("ffff:...:255.255.255.255"), no zone.
  if (text.size() <= 45 && text.find_first_of("%/ \t") == text.npos &&
      text.find(':') != text.npos) {
    char buffer[64];
    memcpy(buffer, text.data(), text.size());
    buffer[text.size()] = '\0';
    uint8_t bytes[16];
    if (inet_pton(AF_INET6, buffer, bytes) == 1) {
      return FromHalves(LoadBigEndian64(bytes), LoadBigEndian64(bytes + 8));
    }
  }
  return absl::InvalidArgumentError("not an IPv4 or IPv6 address");
}

IpAddress IpAddress::Network() const {
  if (is_v4()) return FromV4(v4() & 0xffffff00u);
  return FromHalves(hi_ & 0xffffffffffff0000ull, 0);
}

std::string IpAddress::ToBytes() const {
  if (is_v4()) {
    uint32_t v = v4();
    char out[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                   static_cast<char>(v >> 8), static_cast<char>(v)};
    return std::string(out, 4);
  }
  uint8_t out[16];
  StoreBigEndian64(hi_, out);
  StoreBigEndian64(lo_, out + 8);
  return std::string(reinterpret_cast<char*>(out), 16);
}

absl::string_view IpAddress::Format(char (&buffer)[kMaxTextLength]) const {
  static_assert(kMaxTextLength >= INET6_ADDRSTRLEN);
  if (is_v4()) {
    uint32_t v = htonl(v4());
    inet_ntop(AF_INET, &v, buffer, sizeof(buffer));
  } else {
    uint8_t bytes[16];
    StoreBigEndian64(hi_, bytes);
    StoreBigEndian64(lo_, bytes + 8);
    inet_ntop(AF_INET6, bytes, buffer, sizeof(buffer));
  }
  return absl::string_view(buffer);
}

std::string IpAddress::ToString() const {
  char buffer[kMaxTextLength];
  return std::string(Format(buffer));
}

}  // namespace vigie
