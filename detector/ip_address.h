// IpAddress: an IPv4 or IPv6 address as 128 bits, the form the hot path
// works on.
//
// IPv4 addresses are held IPv4-mapped (::ffff:a.b.c.d), so one type and one
// comparison serve both families, and "::ffff:192.0.2.1" and "192.0.2.1" are
// the same address. Parsing is strict: dotted-quad IPv4 without leading
// zeros, RFC 4291 IPv6 text (with "::" compression and an embedded IPv4
// tail), no zone index, no surrounding spaces. Formatting follows RFC 5952
// (lower case, longest zero run compressed) and prints IPv4-mapped
// addresses as plain dotted quads.
//
// Value type, 16 bytes, trivially copyable; thread-compatible.
//
// Example:
//   absl::StatusOr<IpAddress> ip = IpAddress::Parse("2001:db8::1");
//   if (ip.ok() && !ip->is_v4()) { std::string text = ip->ToString(); }
#ifndef VIGIE_DETECTOR_IP_ADDRESS_H_
#define VIGIE_DETECTOR_IP_ADDRESS_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vigie {

class IpAddress {
 public:
  // The unspecified address "::".
  constexpr IpAddress() : hi_(0), lo_(0) {}

  static constexpr IpAddress FromV4(uint32_t host_order) {
    return IpAddress(0, (uint64_t{0xffff} << 32) | host_order);
  }
  static constexpr IpAddress FromHalves(uint64_t hi, uint64_t lo) {
    return IpAddress(hi, lo);
  }
  // From 4 (IPv4) or 16 (IPv6) bytes in network order; InvalidArgument
  // for any other length.
  static absl::StatusOr<IpAddress> FromBytes(absl::string_view bytes);

  // Parses IPv4 or IPv6 text. InvalidArgument with a short reason ("not an
  // IPv4 or IPv6 address") on failure.
  static absl::StatusOr<IpAddress> Parse(absl::string_view text);

  bool is_v4() const { return hi_ == 0 && (lo_ >> 32) == 0xffff; }
  // REQUIRES: is_v4().
  uint32_t v4() const { return static_cast<uint32_t>(lo_); }
  uint64_t hi() const { return hi_; }
  uint64_t lo() const { return lo_; }

  // The network this address belongs to: /24 for IPv4, /48 for IPv6.
  IpAddress Network() const;

  // 4 bytes for IPv4, 16 for IPv6, network order.
  std::string ToBytes() const;
  // Canonical text (RFC 5952; dotted quad for IPv4).
  std::string ToString() const;
  // The same text in `buffer`, without allocating; returns a view of it.
  static constexpr size_t kMaxTextLength = 46;  // INET6_ADDRSTRLEN.
  absl::string_view Format(char (&buffer)[kMaxTextLength]) const;

  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    return a.hi_ == b.hi_ && a.lo_ == b.lo_;
  }
  friend bool operator!=(const IpAddress& a, const IpAddress& b) {
    return !(a == b);
  }
  friend bool operator<(const IpAddress& a, const IpAddress& b) {
    return a.hi_ != b.hi_ ? a.hi_ < b.hi_ : a.lo_ < b.lo_;
  }
  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& ip) {
    return H::combine(std::move(h), ip.hi_, ip.lo_);
  }

 private:
  constexpr IpAddress(uint64_t hi, uint64_t lo) : hi_(hi), lo_(lo) {}
  uint64_t hi_;
  uint64_t lo_;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_IP_ADDRESS_H_
