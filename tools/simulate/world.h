// World: the network and organisational conditions a simulated portal's
// users work under, as parameters, so that detection is measured on more
// than one world and never fitted to one.
//
// Each phenomenon is a probability (0 turns it off) and, where an account
// or an address takes part in it, a label in labels.json ("benign_traps":
// entity and kind) so that `vigie eval` attributes false incidents to it.
// The phenomena are what real users and their networks do to the address a
// portal sees (sources in docs/simulator.md):
//  - roaming_session: a session continues on another network (office or
//    home Wi-Fi to the phone's mobile data) without a new login;
//  - dual_stack: a dual-stack line's sessions move between its IPv4 and
//    IPv6 address (Happy Eyeballs, RFC 8305);
//  - ipv6_privacy: IPv6 temporary addresses (RFC 8981, formerly 4941): a
//    new interface identifier inside the same /64 every day and, now and
//    then, within a session;
//  - cgnat_per_connection: a phone behind carrier-grade NAT gets another
//    public address of the carrier's pool per connection;
//  - isp_renumbering: the ISP gives a home or practice line a new address
//    (same provider, another block);
//  - vpn: a user goes through a commercial VPN whose exits sit in hosting
//    networks shared by unrelated users;
//  - multi_site: a doctor who works at a hospital (research network) some
//    days and at a practice or home the others;
//  - shared_practice: several accounts of one practice behind one address;
//  - hospital_nat: hospital desks behind a NAT pool of `hospital_nat_pool`
//    addresses, rotating per connection when the pool is larger than 2;
//  - traveller: a day abroad (a conference) on a foreign network;
//  - night_on_call: a night session from home by a day worker on call;
//  - new_device: a new browser or computer.
//
// Named worlds (NamedWorld): "mixed" (the default), "city_fibre",
// "rural_mobile", "hospital_group", "ipv6_heavy".
//
// Thread-safe (plain values). Cost: none at run time beyond the draws.
//
// Example:
//   absl::StatusOr<World> world = NamedWorld("rural_mobile");
//   VIGIE_RETURN_IF_ERROR(SetWorldParameter("vpn", "0", &*world));
#ifndef VIGIE_TOOLS_SIMULATE_WORLD_H_
#define VIGIE_TOOLS_SIMULATE_WORLD_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vigie {
namespace simulate {

struct World {
  std::string name = "mixed";
  // Population mix: shares of accounts.
  double hospital_share = 0.10;  // Hospital admission desks.
  double mobile_share = 0.15;    // Sometimes work from a phone.
  double ipv6_share = 0.15;      // Home or practice line is dual-stack.
  double vpn_share = 0.01;       // Use a commercial VPN, some sessions.
  double multi_site_share = 0.05;
  double shared_practice_share = 0.10;  // Practice address shared.
  // Per session.
  double roaming_session = 0.02;
  double dual_stack = 0.3;           // Of a dual-stack account's sessions.
  double ipv6_privacy = 0.2;         // Mid-session rotation, v6 sessions.
  double cgnat_per_connection = 0.3; // Of a mobile session's requests.
  double mobile_session = 0.3;       // A mobile account's session on 4G.
  double vpn_session = 0.5;          // A VPN user's session through it.
  // Per account-day.
  double isp_renumbering = 0.01;
  double traveller = 0.01;
  double night_on_call = 0.005;
  double new_device = 0.01;
  int hospital_nat_pool = 2;
};

// The worlds by name; NotFound (listing the names) otherwise.
absl::StatusOr<World> NamedWorld(absl::string_view name);
std::vector<std::string> WorldNames();

// Sets one field by its name above (a probability in [0, 1], a share, or
// hospital_nat_pool in 1..64); InvalidArgument naming the field otherwise.
absl::Status SetWorldParameter(absl::string_view key, absl::string_view value,
                               World* world);

// "key=value" lines of every field, for labels.json and --help.
std::string DescribeWorld(const World& world);

}  // namespace simulate
}  // namespace vigie

#endif  // VIGIE_TOOLS_SIMULATE_WORLD_H_
