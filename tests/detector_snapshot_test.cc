// A detector restored from a snapshot continues exactly as the original:
// the same risks and byte-identical alerts on the rest of the stream.
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detector/alerts/alert_json.h"
#include "detector/detector.h"
#include "detector/engine/entity_state.h"
#include "detector/ingest/event_encoder.h"
#include "detector/ingest/pseudonymizer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/snapshot.pb.h"
#include "tools/simulate/simulator.h"

namespace vigie {
namespace {

using ::testing::HasSubstr;

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

// The simulated events and the encoder that names their accounts.
struct SimulatedStream {
  PseudonymKey key;
  Pseudonymizer pseudonymizer{key};
  EventEncoder encoder{&pseudonymizer, EncoderOptions()};
  std::vector<Event> events = SimulatedEvents(&encoder);
  std::function<std::string(uint32_t)> namer() const {
    return [this](uint32_t id) {
      return std::string(encoder.AccountName(id));
    };
  }
};

TEST(DetectorSnapshot, RestoredDetectorContinuesBitIdentically) {
  const SimulatedStream stream;
  const std::vector<Event>& events = stream.events;
  ASSERT_GT(events.size(), 10000u);
  const auto namer = stream.namer();
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

// The peer baselines are refreshed as each is first used in a minute of
// event time, so at a cut some hold the previous minute's percentiles; a
// snapshot holds every one as refreshed. Cut at many points, a restored
// detector and the original stay identical, state and risks, over the
// events that follow (the rest of the minute and beyond), whether events
// name their profession or leave it to the account's (a third here).
TEST(DetectorSnapshot, CutsWithinAMinuteRestoreTheBaselinesAsRefreshed) {
  SimulatedStream stream;
  std::vector<Event>& events = stream.events;
  for (size_t i = 0; i < events.size(); i += 3) events[i].profession = kNoId;
  const auto namer = stream.namer();
  DetectorOptions options;
  options.max_state_bytes = size_t{4} << 20;
  JsonSink sink;
  auto original = Detector::Create(options, namer, &sink).value();
  constexpr size_t kCuts = 24;
  constexpr size_t kFollowed = 120;  // Events compared after each cut.
  const size_t first_cut = events.size() / 3;  // Baselines warm by then.
  const size_t step = (events.size() - first_cut - kFollowed) / kCuts;
  JsonSink restored_sink;
  std::unique_ptr<Detector> restored;
  size_t restored_until = 0;
  int compared = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    if (i >= first_cut && (i - first_cut) % step == 0 &&
        (i - first_cut) / step < kCuts) {
      restored = Detector::Create(options, namer, &restored_sink).value();
      ASSERT_TRUE(restored->RestoreState(original->SaveState()).ok());
      restored_until = i + kFollowed;
    }
    const double risk = original->Observe(events[i]);
    if (restored != nullptr && i < restored_until) {
      ASSERT_EQ(risk, restored->Observe(events[i])) << "event " << i;
      if ((restored_until - i) % 40 == 1) {
        ASSERT_EQ(original->SaveState(), restored->SaveState())
            << "event " << i;
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, 3 * static_cast<int>(kCuts));
}

// A login at `time_ms` by `account` from 192.0.2.`address`.
Event Login(int64_t time_ms, uint32_t account, uint32_t address,
            Outcome outcome) {
  Event e;
  e.time_ms = time_ms;
  e.ip = IpAddress::FromV4(0xc0000200 + address);
  e.account = account;
  e.action = Action::kLogin;
  e.outcome = outcome;
  return e;
}
Event FailedLogin(int64_t time_ms, uint32_t account, uint32_t address) {
  return Login(time_ms, account, address, Outcome::kFailure);
}

DetectorOptions CutOptions() {
  DetectorOptions options;
  options.max_state_bytes = size_t{64} << 20;
  return options;
}

// Runs `events` through one detector, cuts it by a snapshot after the
// first `cut` (which must raise no alert), and runs the rest through both
// it and a detector restored from the snapshot: both must score every
// event alike and write the same alerts, at least one. `check_restored`
// looks at the restored detector before it continues.
void ExpectTheCutChangesNothing(
    const DetectorOptions& options, const std::vector<Event>& events,
    size_t cut, const std::function<void(const Detector&)>& check_restored) {
  auto namer = [](uint32_t id) { return absl::StrCat("account", id); };
  JsonSink original_sink;
  auto original = Detector::Create(options, namer, &original_sink).value();
  for (size_t i = 0; i < cut; ++i) original->Observe(events[i]);
  EXPECT_TRUE(original_sink.lines.empty());
  JsonSink restored_sink;
  auto restored = Detector::Create(options, namer, &restored_sink).value();
  ASSERT_TRUE(restored->RestoreState(original->SaveState()).ok());
  check_restored(*restored);
  for (size_t i = cut; i < events.size(); ++i) {
    ASSERT_EQ(original->Observe(events[i]), restored->Observe(events[i]))
        << "event " << i;
  }
  original->Flush();
  restored->Flush();
  EXPECT_FALSE(original_sink.lines.empty());  // The attack was seen...
  EXPECT_EQ(original_sink.lines, restored_sink.lines);  // ...by both.
}

constexpr int64_t kSprayStart = 1646900000000;

// An address's failed logins live in tables of their own: a snapshot
// taken half-way through a password spray carries them, so the restored
// detector sees the spray cross its threshold exactly when the original
// does, whether the cut finds them few (to be widened after it) or wide.
TEST(DetectorSnapshot, CarriesTheFailedLoginsOfAnAddress) {
  // Cut at three failing accounts, and just below the per-hour threshold.
  const size_t threshold = DetectorOptions().failing_accounts_per_ip_hour;
  ASSERT_GT(threshold - 2, size_t{engine::kAddressFewFailingAccounts});
  for (const size_t cut : {size_t{3}, threshold - 2}) {
    SCOPED_TRACE(cut);
    std::vector<Event> spray;
    for (uint32_t i = 0; i < threshold + 4; ++i) {
      spray.push_back(FailedLogin(kSprayStart + i * 1000, 1 + i, 1));
    }
    const bool wide = cut > engine::kAddressFewFailingAccounts;
    ExpectTheCutChangesNothing(
        CutOptions(), spray, cut, [wide](const Detector& restored) {
          EXPECT_EQ(restored.stats().addresses_with_failures, 1u);
          EXPECT_EQ(restored.stats().addresses_with_many_failures,
                    wide ? 1u : 0u);
        });
  }
}

// An account's failed logins live in a table of their own too: a brute
// force cut by a snapshot is counted on, and its alert comes at the same
// failure.
TEST(DetectorSnapshot, CarriesTheFailedLoginsOfAnAccount) {
  const size_t cut = DetectorOptions().account_failures_per_hour - 2;
  std::vector<Event> brute_force;
  for (uint32_t i = 0; i < cut + 4; ++i) {
    brute_force.push_back(FailedLogin(kSprayStart + i * 1000, 7, 1 + i));
  }
  ExpectTheCutChangesNothing(
      CutOptions(), brute_force, cut, [](const Detector& restored) {
        EXPECT_EQ(restored.stats().accounts_with_windows, 1u);
      });
}

// A young address's accounts, from its second on, live in a table of
// their own as well: an address taken up by more and more accounts on its
// first day, cut by a snapshot, alerts at the same login.
TEST(DetectorSnapshot, CarriesTheAccountsOfAYoungSharedAddress) {
  DetectorOptions options = CutOptions();
  options.shared_infrastructure_alerts = true;
  // The stream's first day, elsewhere; then accounts 1, 2, ... log in
  // from a new address, a minute apart.
  std::vector<Event> events = {
      Login(kSprayStart, 100, 50, Outcome::kSuccess)};
  const int64_t born = kSprayStart + 25 * 3600 * 1000;
  for (uint32_t i = 0; i < 6; ++i) {
    events.push_back(Login(born + i * 60000, 1 + i, 1, Outcome::kSuccess));
  }
  // Cut after the first day's login and accounts 1 and 2, one below the
  // threshold (3).
  ASSERT_EQ(options.accounts_per_new_ip_hour, 3);
  const size_t cut = 3;
  ExpectTheCutChangesNothing(options, events, cut,
                             [](const Detector& restored) {
                               EXPECT_EQ(restored.stats()
                                             .addresses_with_account_sets,
                                         1u);
                             });
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
  const uint32_t version = parsed.format_version();
  parsed.set_format_version(3);  // Before the young addresses' accounts.
  const absl::Status older = detector->RestoreState(parsed.SerializeAsString());
  EXPECT_EQ(older.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(older.message()),
              HasSubstr("format version 3, this vigie reads version 4"));
  parsed.set_format_version(version);
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
