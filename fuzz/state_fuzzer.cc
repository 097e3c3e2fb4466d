// Fuzz target: every decoder of stored state, which a damaged or crafted
// checkpoint or snapshot reaches, and the checkpoint file itself (selector
// 8: its body, with the states inside). The first byte picks the decoder;
// the rest is its input. What must hold: a decoder refuses what it cannot
// read with an error, never a crash, a hang or an allocation its input
// cannot back; and a detector snapshot that restores saves, restores and
// saves again to the same bytes.
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "detector/detector.h"
#include "detector/engine/entity_state.h"
#include "detector/engine/login_population.h"
#include "detector/ingest/event_encoder.h"
#include "detector/ingest/pseudonymizer.h"
#include "detector/stats/novelty_filter.h"
#include "detector/stats/quantile_sketch.h"
#include "detector/stats/state_codec.h"
#include "fuzz/fuzz_target.h"
#include "tools/replay_checkpoint.h"
#include "tools/replay_report.h"

namespace vigie {
namespace {

class NullSink : public AlertSink {
 public:
  void Emit(const v1::Alert&) override {}
};

// Small, so that a restore is quick: 2 shards, 4,096 novelty pairs, 2 MiB.
std::unique_ptr<Detector> SmallDetector() {
  static NullSink sink;
  DetectorOptions options;
  options.shards = 2;
  options.novelty_capacity = 4096;
  options.max_state_bytes = size_t{2} << 20;
  return Detector::Create(options, [](uint32_t) { return ""; }, &sink)
      .value();
}

void RestoreDetector(absl::string_view input) {
  std::unique_ptr<Detector> detector = SmallDetector();
  if (!detector->RestoreState(input).ok()) return;
  const std::string saved = detector->SaveState();
  std::unique_ptr<Detector> again = SmallDetector();
  if (!again->RestoreState(saved).ok()) std::abort();
  if (again->SaveState() != saved) std::abort();
}

}  // namespace
}  // namespace vigie

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigie;  // NOLINT: one target, many decoders.
  if (size == 0) return 0;
  const absl::string_view input(reinterpret_cast<const char*>(data) + 1,
                                size - 1);
  StateReader r(input);
  switch (data[0] % 9) {
    case 0:
      RestoreDetector(input);
      break;
    case 1: {
      static PseudonymKey key;
      static Pseudonymizer pseudonymizer(key);
      EventEncoder encoder(&pseudonymizer, EncoderOptions());
      (void)encoder.Restore(r);
      break;
    }
    case 2: {
      ReplayReport report;
      (void)report.Decode(r);
      break;
    }
    case 3: {
      absl::StatusOr<QuantileSketch> sketch = QuantileSketch::Decode(r);
      if (sketch.ok()) (void)sketch->Quantile(0.999);
      break;
    }
    case 4: {
      absl::StatusOr<std::unique_ptr<NoveltyFilter>> filter =
          NoveltyFilter::Deserialize(input);
      if (filter.ok()) (void)(*filter)->expected_false_positive_rate();
      break;
    }
    case 5: {
      engine::AccountState account;
      (void)engine::DecodeAccount(r, &account);
      break;
    }
    case 6: {
      engine::PeerBaseline peers;
      if (engine::DecodePeers(r, &peers)) peers.Refresh();
      break;
    }
    case 7: {
      engine::LoginPopulation population;
      if (population.Decode(r)) population.Refresh();
      break;
    }
    case 8: {
      // A checkpoint file: the input is its body, sealed with the CRC a
      // file carries so that parsing reaches past the checksum; then the
      // states it holds, as a resumed replay restores them.
      absl::StatusOr<v1::ReplayCheckpoint> checkpoint = ParseReplayCheckpoint(
          SealReplayCheckpointBody(std::string(input)), "fuzz.ckpt");
      if (!checkpoint.ok()) break;
      static PseudonymKey key;
      static Pseudonymizer pseudonymizer(key);
      EventEncoder encoder(&pseudonymizer, EncoderOptions());
      StateReader encoder_state(checkpoint->encoder_state());
      (void)encoder.Restore(encoder_state);
      RestoreDetector(checkpoint->detector_state());
      ReplayReport report;
      StateReader report_state(checkpoint->report_state());
      (void)report.Decode(report_state);
      break;
    }
  }
  return 0;
}
