// Networks: where the simulated portal's addresses come from. Real address
// blocks of real networks (checked against the libloc database Debian
// ships), so that with a location database the detector sees the
// autonomous systems and countries a French portal would: consumer ISPs'
// fixed lines (IPv4 and IPv6 /64s), mobile carriers' carrier-grade NAT
// pools, the research network and a hospital group's provider, hosting
// providers (attack infrastructure and commercial VPN exits) and foreign
// ISPs (travellers).
//
// Why a file of its own: the simulator's phenomena (world.h) are about
// moving between these networks; keeping the blocks here keeps each
// phenomenon's code about behaviour, not about numbers.
//
// Thread-compatible (draws from the caller's Random). Cost: a few draws.
//
// Example:
//   Random random(1);
//   const int isp = Networks::RandomIsp(random);
//   IpAddress home = Networks::FixedLineV4(isp, random);
#ifndef VIGIE_TOOLS_SIMULATE_NETWORKS_H_
#define VIGIE_TOOLS_SIMULATE_NETWORKS_H_

#include <cstdint>

#include "detector/ip_address.h"
#include "tools/simulate/random.h"

namespace vigie {
namespace simulate {

class Networks {
 public:
  static constexpr int kIsps = 4;      // Orange, SFR, Free, Bouygues.
  static constexpr int kCarriers = 3;  // Mobile: Free, SFR, Bouygues.

  static int RandomIsp(Random& random);
  static int RandomCarrier(Random& random) {
    return static_cast<int>(random.Below(kCarriers));
  }
  // A fixed line's IPv4 address at `isp`.
  static IpAddress FixedLineV4(int isp, Random& random);
  // A fixed line's IPv6 /64 at `isp` (the upper 64 bits).
  static uint64_t FixedLineV6Prefix(int isp, Random& random);
  // A temporary (privacy) interface identifier, RFC 8981.
  static uint64_t TemporaryInterfaceId(Random& random) {
    return random.Next() | 1;
  }
  // An address of the carrier's carrier-grade NAT pool.
  static IpAddress MobilePool(int carrier, Random& random);
  // A hospital's NAT address `k` of its pool: hospitals 0, 2, 4, ... on the
  // research network (university hospitals), the others at a business
  // provider.
  static IpAddress HospitalNat(int64_t hospital, int k);
  // A service account's server (a business provider's data centre).
  static IpAddress ServerAddress(Random& random);
  // Hosting providers (attackers' rented machines): `network` picks one of
  // a few /24s of one provider.
  static IpAddress Hosting(uint32_t network, Random& random);
  // A commercial VPN exit: a small fixed set shared by all VPN users.
  static IpAddress VpnExit(Random& random);
  // A foreign consumer ISP's address (a traveller abroad).
  static IpAddress Foreign(Random& random);
};

}  // namespace simulate
}  // namespace vigie

#endif  // VIGIE_TOOLS_SIMULATE_NETWORKS_H_
