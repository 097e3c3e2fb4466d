// IncidentTracker: one incident per entity, updates only on a real rise in
// risk, closing after the quiet period, and Extend recording ongoing
// firings without content.
#include "detector/alerts/incident_tracker.h"

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace vigie {
namespace {

class CollectingSink : public AlertSink {
 public:
  void Emit(const v1::Alert& alert) override { alerts.push_back(alert); }
  std::vector<v1::Alert> alerts;
};

v1::Alert Firing(double risk, const std::string& message) {
  v1::Alert alert;
  alert.set_rule_name("lookup_enumeration");
  alert.set_account("dr.martin");
  alert.set_risk_score(risk);
  alert.set_message(message);
  return alert;
}

constexpr int64_t kMinute = 60 * 1000;

TEST(IncidentTracker, OpensOnceUpdatesOnARiseAndClosesWhenQuiet) {
  CollectingSink sink;
  IncidentTracker tracker(absl::Hours(1), &sink, /*update_step=*/10);
  tracker.Fire("account|1", Firing(65, "first"), 0);
  tracker.Fire("account|1", Firing(70, "small rise"), kMinute);
  tracker.Fire("account|1", Firing(81, "big rise"), 2 * kMinute);
  ASSERT_EQ(sink.alerts.size(), 2u);
  EXPECT_EQ(sink.alerts[0].incident_state(), v1::INCIDENT_OPENED);
  EXPECT_EQ(sink.alerts[0].incident_id(), "lookup_enumeration-000001");
  EXPECT_EQ(sink.alerts[1].incident_state(), v1::INCIDENT_UPDATED);
  EXPECT_EQ(sink.alerts[1].message(), "big rise");
  tracker.Advance(2 * kMinute + 60 * kMinute);
  ASSERT_EQ(sink.alerts.size(), 3u);
  const v1::Alert& closed = sink.alerts[2];
  EXPECT_EQ(closed.incident_state(), v1::INCIDENT_CLOSED);
  EXPECT_EQ(closed.event_count(), 3u);
  EXPECT_EQ(closed.last_seen_ms(), 2 * kMinute);
  EXPECT_EQ(closed.time_ms(), 62 * kMinute);
  // The closing alert repeats the last reported content.
  EXPECT_EQ(closed.message(),
            "ended after 3 firings: quiet for 60 min; last: big rise");
}

TEST(IncidentTracker, ExtendRecordsOngoingFiringsAndDeclinesWhatMustBeReported) {
  CollectingSink sink;
  IncidentTracker tracker(absl::Hours(1), &sink, /*update_step=*/10);
  // Nothing open: the caller must build the alert and Fire.
  EXPECT_FALSE(tracker.Extend("account|1", 65, 0));
  EXPECT_TRUE(sink.alerts.empty());
  tracker.Fire("account|1", Firing(65, "first"), 0);
  EXPECT_TRUE(tracker.Extend("account|1", 75, kMinute));  // Within the step.
  EXPECT_TRUE(tracker.Extend("account|1", 60, 2 * kMinute));
  EXPECT_FALSE(tracker.Extend("account|1", 75.1, 3 * kMinute));  // A rise.
  EXPECT_FALSE(tracker.Extend("account|2", 65, 3 * kMinute));  // Other key.
  EXPECT_EQ(sink.alerts.size(), 1u);
  tracker.Flush();
  tracker.Advance(2 * kMinute + 60 * kMinute);
  ASSERT_EQ(sink.alerts.size(), 2u);
  const v1::Alert& closed = sink.alerts[1];
  EXPECT_EQ(closed.incident_state(), v1::INCIDENT_CLOSED);
  // Extended firings count and move last_seen; declined ones do not.
  EXPECT_EQ(closed.event_count(), 3u);
  EXPECT_EQ(closed.last_seen_ms(), 2 * kMinute);
  EXPECT_EQ(closed.message(),
            "ended after 3 firings: quiet for 60 min; last: first");
}

TEST(IncidentTracker, ExtendClosesQuietIncidentsFirst) {
  CollectingSink sink;
  IncidentTracker tracker(absl::Hours(1), &sink, /*update_step=*/10);
  tracker.Fire("account|1", Firing(65, "first"), 0);
  // Two hours later the incident is over: this firing opens a new one.
  EXPECT_FALSE(tracker.Extend("account|1", 65, 120 * kMinute));
  ASSERT_EQ(sink.alerts.size(), 2u);
  EXPECT_EQ(sink.alerts[1].incident_state(), v1::INCIDENT_CLOSED);
  tracker.Fire("account|1", Firing(65, "again"), 120 * kMinute);
  ASSERT_EQ(sink.alerts.size(), 3u);
  EXPECT_EQ(sink.alerts[2].incident_id(), "lookup_enumeration-000002");
}

TEST(IncidentTracker, StaysWithinItsMemoryByClosingTheQuietestFirst) {
  CollectingSink sink;
  IncidentTracker tracker(absl::Hours(1), &sink, /*update_step=*/10,
                          /*max_bytes=*/8 * 1024);
  // Each incident holds ~1 KiB: far more addresses than fit.
  for (int i = 0; i < 100; ++i) {
    v1::Alert alert = Firing(80, std::string(300, 'x'));
    alert.set_source_ip("203.0.113." + std::to_string(i));
    tracker.Fire("address|" + std::to_string(1000 + i), alert, i * 1000);
    EXPECT_LE(tracker.bytes(), 8u * 1024) << i;
  }
  EXPECT_GT(tracker.closed_for_memory(), 50u);
  EXPECT_LT(tracker.open_incidents(), 20u);
  // The first incidents, quiet for longest, were closed first, each with a
  // closing alert that says why.
  int early_closes = 0;
  for (const v1::Alert& alert : sink.alerts) {
    if (alert.incident_state() != v1::INCIDENT_CLOSED) continue;
    ++early_closes;
    EXPECT_NE(alert.message().find("closed early"), std::string::npos);
  }
  EXPECT_EQ(early_closes, static_cast<int>(tracker.closed_for_memory()));
  bool first_closed = false;
  for (const v1::Alert& alert : sink.alerts) {
    if (alert.incident_state() == v1::INCIDENT_CLOSED) {
      first_closed = alert.incident_id() == "lookup_enumeration-000001";
      break;
    }
  }
  EXPECT_TRUE(first_closed);
}

}  // namespace
}  // namespace vigie
