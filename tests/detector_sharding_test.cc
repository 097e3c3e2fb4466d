// The sharded engine's promise: alerts, risks and snapshots do not depend on
// the number of threads, nor on how events are batched.
#include <algorithm>
#include <string>
#include <vector>

#include "detector/alerts/alert_json.h"
#include "detector/detector.h"
#include "detector/ingest/event_encoder.h"
#include "detector/ingest/pseudonymizer.h"
#include "gtest/gtest.h"
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

struct Output {
  std::vector<std::string> alerts;
  std::vector<double> risks;
  std::string snapshot;
};

class DetectorSharding : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    static PseudonymKey key;
    static Pseudonymizer pseudonymizer(key);
    encoder_ = new EventEncoder(&pseudonymizer, EncoderOptions());
    events_ = new std::vector<Event>();
    simulate::SimulationOptions options;
    options.accounts = 300;
    options.days = 2;
    options.seed = 23;
    ASSERT_TRUE(simulate::Simulate(options, [](const AccessRecord& record) {
                  Event e;
                  encoder_->Encode(record, &e);
                  events_->push_back(e);
                  return absl::OkStatus();
                }).ok());
  }

  // Replays every event in batches of `batch` (0: one Observe per event).
  static Output Replay(int shards, int threads, size_t batch) {
    DetectorOptions options;
    options.max_state_bytes = size_t{64} << 20;
    options.shards = shards;
    options.threads = threads;
    JsonSink sink;
    auto namer = [](uint32_t id) {
      return std::string(encoder_->AccountName(id));
    };
    auto detector = Detector::Create(options, namer, &sink).value();
    Output run;
    run.risks.resize(events_->size());
    const absl::Span<const Event> all(*events_);
    for (size_t begin = 0; begin < all.size();) {
      if (batch == 0) {
        run.risks[begin] = detector->Observe(all[begin]);
        ++begin;
        continue;
      }
      const size_t n = std::min(batch, all.size() - begin);
      detector->ObserveBatch(all.subspan(begin, n),
                             absl::MakeSpan(run.risks).subspan(begin, n));
      begin += n;
    }
    run.snapshot = detector->SaveState();
    detector->Flush();
    run.alerts = sink.lines;
    return run;
  }

  static EventEncoder* encoder_;
  static std::vector<Event>* events_;
};

EventEncoder* DetectorSharding::encoder_ = nullptr;
std::vector<Event>* DetectorSharding::events_ = nullptr;

TEST_F(DetectorSharding, OutputIsIdenticalForOneTwoAndEightThreads) {
  const Output one = Replay(8, 1, 4096);
  ASSERT_GT(one.alerts.size(), 5u);  // The simulated attacks alert.
  for (int threads : {2, 8}) {
    const Output many = Replay(8, threads, 4096);
    EXPECT_EQ(one.alerts, many.alerts) << threads << " threads";
    EXPECT_EQ(one.risks, many.risks) << threads << " threads";
    EXPECT_EQ(one.snapshot, many.snapshot) << threads << " threads";
  }
}

TEST_F(DetectorSharding, BatchingDoesNotChangeTheOutput) {
  const Output per_event = Replay(8, 1, 0);
  const Output odd_batches = Replay(8, 2, 777);
  EXPECT_EQ(per_event.alerts, odd_batches.alerts);
  EXPECT_EQ(per_event.risks, odd_batches.risks);
  EXPECT_EQ(per_event.snapshot, odd_batches.snapshot);
}

TEST_F(DetectorSharding, OneShardDetectsTheSameCampaigns) {
  // Other shard counts split novelty memory and tables differently, so
  // their output may differ in detail but not in what they find.
  const Output eight = Replay(8, 1, 4096);
  const Output one = Replay(1, 1, 4096);
  auto opened = [](const Output& run) {
    std::vector<std::string> rules;
    for (const std::string& line : run.alerts) {
      if (line.find("\"state\":\"opened\"") == std::string::npos) continue;
      const size_t at = line.find("\"rule\":{\"name\":\"");
      rules.push_back(line.substr(at, 40));
    }
    std::sort(rules.begin(), rules.end());
    return rules;
  };
  EXPECT_EQ(opened(eight), opened(one));
}

TEST(DetectorShardingOptions, RefusesBadCountsAndForeignSnapshots) {
  JsonSink sink;
  auto namer = [](uint32_t id) { return std::to_string(id); };
  DetectorOptions options;
  options.max_state_bytes = size_t{64} << 20;
  options.shards = 4;
  options.threads = 5;
  EXPECT_EQ(Detector::Create(options, namer, &sink).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.threads = 2;
  auto four = Detector::Create(options, namer, &sink).value();
  options.shards = 2;
  auto two = Detector::Create(options, namer, &sink).value();
  const absl::Status status = two->RestoreState(four->SaveState());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("4 shards"), absl::string_view::npos)
      << status;
}

}  // namespace
}  // namespace vigie
