#include "tools/simulate/networks.h"

namespace vigie {
namespace simulate {
namespace {

struct Block {
  uint32_t base;
  int prefix;
};

constexpr uint32_t V4(uint32_t a, uint32_t b, uint32_t c = 0) {
  return (a << 24) | (b << 16) | (c << 8);
}

IpAddress In(const Block& block, Random& random) {
  const uint32_t size = block.prefix >= 32 ? 1u : 1u << (32 - block.prefix);
  // Neither the block's first nor its last address.
  const uint32_t offset =
      size <= 2 ? 0 : 1 + static_cast<uint32_t>(random.Below(size - 2));
  return IpAddress::FromV4(block.base + offset);
}

template <size_t N>
IpAddress InOneOf(const Block (&blocks)[N], Random& random) {
  return In(blocks[random.Below(N)], random);
}

// Fixed lines, by ISP: Orange (AS3215), SFR (AS15557), Free (AS12322),
// Bouygues Telecom (AS5410).
constexpr Block kOrange[] = {{V4(90, 0), 17}, {V4(81, 250), 17},
                             {V4(217, 128), 16}, {V4(80, 14), 16}};
constexpr Block kSfr[] = {{V4(78, 112), 12}, {V4(86, 64), 12}};
constexpr Block kFree[] = {{V4(82, 64), 14}, {V4(88, 160), 12}};
constexpr Block kBouygues[] = {{V4(176, 128), 10}, {V4(5, 48), 14},
                               {V4(31, 32), 13}};
// Their IPv6 allocations: the fixed upper bits and how many there are.
struct V6Block {
  uint64_t base;  // Upper 64 bits.
  int prefix;     // Of the allocation; customers get a /64 inside it.
};
constexpr V6Block kV6[Networks::kIsps] = {
    {0x2a01cb0000000000ull, 30},  // Orange
    {0x2a02840000000000ull, 25},  // SFR
    {0x2a010e0000000000ull, 32},  // Free
    {0x2a04cec000000000ull, 29},  // Bouygues
};
// Mobile carriers' CGNAT pools: Free Mobile (AS51207), SFR (AS15557),
// Bouygues Telecom (AS5410).
constexpr Block kFreeMobile[] = {{V4(37, 164), 14}};
constexpr Block kSfrMobile[] = {{V4(77, 192), 12}};
constexpr Block kBouyguesMobile[] = {{V4(80, 215), 16}};
// Foreign consumer ISPs: Telefonica (ES), Telecom Italia (IT), Proximus
// (BE), Swisscom (CH), Maroc Telecom (MA).
constexpr Block kForeign[] = {{V4(80, 24), 16},  {V4(83, 32), 16},
                              {V4(79, 0), 15},   {V4(87, 0), 16},
                              {V4(91, 176), 14}, {V4(85, 0), 15},
                              {V4(105, 128), 18}};
// Commercial VPN exits: Datacamp (AS212238, Paris), M247 (AS9009),
// 31173 Services (AS39351).
constexpr uint32_t kVpnExits[] = {V4(156, 146, 63), V4(45, 87, 212),
                                  V4(185, 65, 134)};

}  // namespace

int Networks::RandomIsp(Random& random) {
  // Rough French fixed-line market shares.
  const double p = random.Unit();
  return p < 0.40 ? 0 : p < 0.62 ? 1 : p < 0.85 ? 2 : 3;
}

IpAddress Networks::FixedLineV4(int isp, Random& random) {
  switch (isp) {
    case 0:
      return InOneOf(kOrange, random);
    case 1:
      return InOneOf(kSfr, random);
    case 2:
      return InOneOf(kFree, random);
    default:
      return InOneOf(kBouygues, random);
  }
}

uint64_t Networks::FixedLineV6Prefix(int isp, Random& random) {
  const V6Block& b = kV6[isp < 0 || isp >= kIsps ? 0 : isp];
  const int free_bits = 64 - b.prefix;
  // A /56 delegated to the line, its first /64 used (as most home routers
  // do): the low 8 bits stay 0.
  const uint64_t line = (random.Next() >> (64 - free_bits)) & ~uint64_t{0xff};
  return b.base | line;
}

IpAddress Networks::MobilePool(int carrier, Random& random) {
  switch (carrier) {
    case 0:
      return InOneOf(kFreeMobile, random);
    case 1:
      return InOneOf(kSfrMobile, random);
    default:
      return InOneOf(kBouyguesMobile, random);
  }
}

IpAddress Networks::HospitalNat(int64_t hospital, int k) {
  const uint32_t h = static_cast<uint32_t>(hospital);
  if (hospital % 2 == 0) {
    // Renater (AS2200), 193.48.0.0/14: a /26 per hospital.
    return IpAddress::FromV4(V4(193, 48) + ((h / 2) % 16000) * 64 + 1 +
                             static_cast<uint32_t>(k));
  }
  // Orange Business (AS3215), 195.101.0.0/16.
  return IpAddress::FromV4(V4(195, 101) + ((h / 2) % 1000) * 64 + 1 +
                           static_cast<uint32_t>(k));
}

IpAddress Networks::ServerAddress(Random& random) {
  return In({V4(193, 252), 20}, random);  // Orange's data centres.
}

IpAddress Networks::Hosting(uint32_t network, Random& random) {
  // OVH (AS16276), 51.68.0.0/16.
  return IpAddress::FromV4(V4(51, 68, network & 0xff) + 2 +
                           static_cast<uint32_t>(random.Below(250)));
}

IpAddress Networks::VpnExit(Random& random) {
  return IpAddress::FromV4(kVpnExits[random.Below(3)] + 2 +
                           static_cast<uint32_t>(random.Below(30)));
}

IpAddress Networks::Foreign(Random& random) {
  return InOneOf(kForeign, random);
}

}  // namespace simulate
}  // namespace vigie
