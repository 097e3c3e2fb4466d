// Simulate: a realistic, labelled access log of a professional health
// portal, with attack campaigns planted in benign traffic, so that Vigie's
// detection can be measured (records exposed before the first alert, false
// incidents per account-day) rather than asserted.
//
// Benign population: general practitioners (panels of ~1,000 patients, ~25
// lookups a day), specialists, pharmacists (many people they never saw
// before), nurses, hospital admission desks (hundreds of lookups a day from
// a few shared hospital NAT addresses), night-shift staff, and service
// accounts doing steady batch lookups around the clock. Heavy-tailed daily
// volumes (log-normal), per-account working hours with a lunch dip, quiet
// weekends, sessions opened by a login with occasional typo failures, one or
// one or two usual lines per account at real French ISPs, browser upgrades,
// rare exports and lookups answered "not found"; and the network
// phenomena of the world it runs in (world.h: roaming sessions, dual-stack
// lines, IPv6 temporary addresses, carrier-grade NAT, renumbering, VPNs,
// multi-site doctors, shared practices, hospital NAT pools, travellers,
// night calls, new devices), each labelled on the accounts it touched.
//
// Planted campaigns (each labelled with its accounts, addresses, start, end
// and counts): chained_lookup (the 2022 incident: compromised accounts driven
// from hosting-provider addresses, automated lookups every 0.5-3 s, partly
// sequential NIR sweeps), low_and_slow, credential_stuffing, password_spray,
// brute_force, bulk_export (the 2021 file-sharing theft) and session_hijack.
// Attack events use the same user agents, services and field formats as
// benign ones. Day 0 is always benign (a learning day) when days >= 2.
//
// Deterministic: the same options give the same events in the same order.
// Memory: one day of events at a time. Cost: ~1 µs per event.
//
// Example:
//   SimulationOptions options;
//   options.accounts = 200;
//   absl::StatusOr<SimulationResult> result = Simulate(
//       options, [&](const AccessRecord& r) { return writer->Write(r); });
#ifndef VIGIE_TOOLS_SIMULATE_SIMULATOR_H_
#define VIGIE_TOOLS_SIMULATE_SIMULATOR_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "detector/access_record.h"
#include "tools/simulate/world.h"

namespace vigie {
namespace simulate {

struct SimulationOptions {
  int64_t accounts = 2000;        // Benign accounts.
  int64_t days = 2;
  uint64_t seed = 1;
  int64_t start_time_ms = 1646611200000;  // 2022-03-07T00:00:00Z, a Monday.
  bool campaigns = true;          // Plant attack campaigns.
  World world;                    // Network conditions (see world.h).
};

// Called for each event, in non-decreasing time order; the record's views
// are valid during the call only. A non-OK status stops the simulation.
using EventCallback = std::function<absl::Status(const AccessRecord&)>;

struct CampaignLabel {
  std::string id;    // e.g. "chained_lookup-1"
  std::string kind;  // chained_lookup, low_and_slow, credential_stuffing,
                     // password_spray, brute_force, bulk_export,
                     // session_hijack
  std::vector<std::string> accounts;
  std::vector<std::string> ips;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t events = 0;
  int64_t lookups = 0;
  int64_t exported_records = 0;
};

struct BenignTrap {
  std::string entity;  // An account name or an IP address.
  std::string kind;    // A phenomenon of world.h (roaming_session, vpn,
                       // ...), or pharmacist, service_account,
                       // night_shift, mobile. An entity may have several.
};

struct SimulationResult {
  SimulationOptions options;
  int64_t events = 0;
  int64_t attack_events = 0;
  std::vector<CampaignLabel> campaigns;
  std::vector<BenignTrap> benign_traps;
};

// InvalidArgument for accounts < 1 or days < 1; otherwise the callback's
// first error, if any.
absl::StatusOr<SimulationResult> Simulate(const SimulationOptions& options,
                                          const EventCallback& callback);

// labels.json: pretty, deterministic JSON of the result (campaigns with
// RFC 3339 times, benign traps). Holds no subject identifier.
std::string LabelsToJson(const SimulationResult& result);

}  // namespace simulate
}  // namespace vigie

#endif  // VIGIE_TOOLS_SIMULATE_SIMULATOR_H_
