#include "detector/geo/hosting_networks.h"

#include <algorithm>
#include <iterator>

namespace vigie {
namespace {

// Sorted. Names as libloc gives them.
constexpr uint32_t kHostingAsns[] = {
    8075,    // Microsoft (Azure)
    8100,    // QuadraNet
    8560,    // IONOS
    9009,    // M247 (VPN exits)
    12876,   // Online / Scaleway
    14061,   // DigitalOcean
    14618,   // Amazon (AWS)
    16265,   // LeaseWeb
    16276,   // OVH
    16509,   // Amazon (AWS)
    20473,   // Choopa / Vultr
    24940,   // Hetzner Online
    28753,   // Leaseweb Deutschland
    31898,   // Oracle Cloud
    39351,   // 31173 Services (VPN exits)
    40676,   // Psychz Networks
    43350,   // NForce Entertainment
    45102,   // Alibaba Cloud
    47583,   // Hostinger
    51167,   // Contabo
    54290,   // Hostwinds
    60068,   // Datacamp (VPN exits)
    60781,   // LeaseWeb Netherlands
    62240,   // Clouvider
    63949,   // Linode
    132203,  // Tencent Cloud
    136787,  // TEFINCOM (VPN exits)
    197540,  // netcup
    200651,  // Flokinet
    212238,  // Datacamp (VPN exits)
    396982,  // Google Cloud
};

}  // namespace

bool IsHostingAs(uint32_t asn, const std::vector<uint32_t>& extra) {
  static_assert(std::size(kHostingAsns) > 0);
  if (asn == 0) return false;
  return std::binary_search(std::begin(kHostingAsns), std::end(kHostingAsns),
                            asn) ||
         std::binary_search(extra.begin(), extra.end(), asn);
}

}  // namespace vigie
