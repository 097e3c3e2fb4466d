// EncodedTraffic: the simulator's labelled traffic already turned into
// hot-path Events (interned ids, subjects pseudonymised with a fixed
// key), with the account names by id, for tests and benchmarks that feed
// a Detector directly.
//
// Cost: the whole log in memory, 64 bytes an event (two days of 2,000
// accounts: ~305,000 events, ~20 MB). Thread-compatible.
//
// Example:
//   simulate::SimulationOptions options;
//   options.accounts = 400;
//   EncodedTraffic traffic = SimulateEncoded(options).value();
//   auto namer = [&](uint32_t id) { return traffic.names[id]; };
#ifndef VIGIE_TOOLS_SIMULATE_ENCODED_TRAFFIC_H_
#define VIGIE_TOOLS_SIMULATE_ENCODED_TRAFFIC_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "detector/event.h"
#include "tools/simulate/simulator.h"

namespace vigie {
namespace simulate {

struct EncodedTraffic {
  std::vector<Event> events;       // In time order.
  std::vector<std::string> names;  // By account id; names[0] is empty.
};

// The simulator's error, if any.
absl::StatusOr<EncodedTraffic> SimulateEncoded(
    const SimulationOptions& options);

}  // namespace simulate
}  // namespace vigie

#endif  // VIGIE_TOOLS_SIMULATE_ENCODED_TRAFFIC_H_
