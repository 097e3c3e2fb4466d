// A detector restored from a snapshot continues exactly as the original:
// the same risks and byte-identical alerts on the rest of the stream.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detector/alerts/alert_json.h"
#include "detector/detector.h"
#include "detector/ingest/event_encoder.h"
#include "detector/ingest/pseudonymizer.h"
#include "gtest/gtest.h"
#include "proto/snapshot.pb.h"
#include "tools/simulate/simulator.h"

namespace vigie {
namespace {

class JsonSink : public AlertSink {
 public:
  void Emit(const v1::Alert& alert) override {
    lines.push_back(AlertToEcsJson(alert));
  }
  std::vector<std::string> lines;
};

std::vector<Event> SimulatedEvents(EventEncoder* encoder) {
  std::vector<Event> events;
  simulate::SimulationOptions options;
  options.accounts = 300;
  options.days = 2;
  options.seed = 11;
  absl::StatusOr<simulate::SimulationResult> result = simulate::Simulate(
      options, [&](const AccessRecord& record) {
        Event e;
        encoder->Encode(record, &e);
        events.push_back(e);
        return absl::OkStatus();
      });
  EXPECT_TRUE(result.ok());
  return events;
}

TEST(DetectorSnapshot, RestoredDetectorContinuesBitIdentically) {
  PseudonymKey key;
  Pseudonymizer pseudonymizer(key);
  EventEncoder encoder(&pseudonymizer, EncoderOptions());
  const std::vector<Event> events = SimulatedEvents(&encoder);
  ASSERT_GT(events.size(), 10000u);
  auto namer = [&encoder](uint32_t id) {
    return std::string(encoder.AccountName(id));
  };
  DetectorOptions options;
  options.max_state_bytes = size_t{64} << 20;
  JsonSink original_sink;
  auto original = Detector::Create(options, namer, &original_sink).value();
  // Cut during the attack day, with incidents open.
  const size_t cut = events.size() * 3 / 4;
  for (size_t i = 0; i < cut; ++i) original->Observe(events[i]);
  const std::string snapshot = original->SaveState();

  JsonSink restored_sink;
  auto restored = Detector::Create(options, namer, &restored_sink).value();
  ASSERT_TRUE(restored->RestoreState(snapshot).ok());
  original_sink.lines.clear();
  for (size_t i = cut; i < events.size(); ++i) {
    ASSERT_EQ(original->Observe(events[i]), restored->Observe(events[i]))
        << "event " << i;
  }
  original->Flush();
  restored->Flush();
  EXPECT_FALSE(original_sink.lines.empty());
  EXPECT_EQ(original_sink.lines, restored_sink.lines);
  EXPECT_EQ(original->stats().accounts, restored->stats().accounts);
}

TEST(DetectorSnapshot, RefusesDamagedOrMismatchedSnapshots) {
  JsonSink sink;
  auto namer = [](uint32_t id) { return absl::StrCat(id); };
  DetectorOptions options;
  options.max_state_bytes = size_t{64} << 20;
  auto detector = Detector::Create(options, namer, &sink).value();
  Event e;
  e.time_ms = 1646900000000;
  e.account = 1;
  e.action = Action::kLogin;
  detector->Observe(e);
  const std::string snapshot = detector->SaveState();
  EXPECT_EQ(detector->RestoreState("not a snapshot").code(),
            absl::StatusCode::kDataLoss);
  v1::Snapshot parsed;
  ASSERT_TRUE(parsed.ParseFromString(snapshot));
  parsed.set_format_version(7);
  EXPECT_EQ(detector->RestoreState(parsed.SerializeAsString()).code(),
            absl::StatusCode::kDataLoss);
  parsed.set_format_version(1);
  parsed.mutable_sections(1)->set_data("garbage");
  EXPECT_EQ(detector->RestoreState(parsed.SerializeAsString()).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(detector->stats().accounts, 0u);  // Left empty.
  DetectorOptions smaller = options;
  smaller.max_state_bytes = size_t{8} << 20;
  auto small = Detector::Create(smaller, namer, &sink).value();
  EXPECT_EQ(small->RestoreState(snapshot).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(detector->RestoreState(snapshot).ok());
  EXPECT_EQ(detector->stats().accounts, 1u);
}

}  // namespace
}  // namespace vigie
