// HostingNetworks: whether an autonomous system is a hosting or cloud
// provider's (rented servers, commercial VPN exits), where a portal's
// users do not browse from but intruders' tooling runs.
//
// Why: a session that jumps to another provider is judged by how far it
// moved (signals/login_risk.h); a jump into a data centre is further than
// one onto a phone's mobile data, and libloc's database, which gives the
// AS, does not say what kind of network it is (it flags anonymous proxies
// only). Identity-protection products weigh "hosting" and "anonymous"
// addresses the same way.
//
// The list is short and well known: the large hosting, cloud and VPN
// providers' ASNs (each checked against the libloc database's AS names),
// not a threat feed. Consumer services that run on a provider's own
// network (Cloudflare's WARP, OVH's telecom arm, AS35540) are left out:
// ordinary users browse from them. Operators add theirs with
// engine.hosting_asns.
//
// Cost: a binary search in a 31-entry table, and one in the operator's
// list. Thread-safe (constant data).
//
// Example:
//   if (IsHostingAs(16276)) { /* OVH */ }
#ifndef VIGIE_DETECTOR_GEO_HOSTING_NETWORKS_H_
#define VIGIE_DETECTOR_GEO_HOSTING_NETWORKS_H_

#include <cstdint>
#include <vector>

namespace vigie {

// Whether `asn` is in the built-in list or in `extra` (sorted).
bool IsHostingAs(uint32_t asn, const std::vector<uint32_t>& extra = {});

}  // namespace vigie

#endif  // VIGIE_DETECTOR_GEO_HOSTING_NETWORKS_H_
