#include "tools/simulate/encoded_traffic.h"

#include "detector/ingest/event_encoder.h"
#include "detector/ingest/pseudonymizer.h"

namespace vigie {
namespace simulate {

absl::StatusOr<EncodedTraffic> SimulateEncoded(
    const SimulationOptions& options) {
  EncodedTraffic traffic;
  PseudonymKey key;  // All zero: pseudonyms need only be consistent here.
  Pseudonymizer pseudonymizer(key);
  EventEncoder encoder(&pseudonymizer, EncoderOptions());
  absl::StatusOr<SimulationResult> result =
      Simulate(options, [&](const AccessRecord& record) {
        Event e;
        encoder.Encode(record, &e);
        traffic.events.push_back(e);
        return absl::OkStatus();
      });
  if (!result.ok()) return result.status();
  for (uint32_t id = 0; id <= encoder.num_accounts(); ++id) {
    traffic.names.emplace_back(encoder.AccountName(id));
  }
  return traffic;
}

}  // namespace simulate
}  // namespace vigie
