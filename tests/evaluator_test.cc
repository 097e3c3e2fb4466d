// vigie eval on hand-made labels and alerts: detection, time to the first
// alert, exposure counting, false incidents by trap, AUC.
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/eval/evaluator.h"

namespace vigie {
namespace eval {
namespace {

constexpr int64_t kT0 = 1646697600000;  // 2022-03-08T00:00:00Z
constexpr int64_t kMin = 60000;

Labels TwoCampaigns() {
  const std::string json = R"({
    "seed": 1, "accounts": 100, "days": 2,
    "campaigns": [
      {"id": "chained_lookup-1", "kind": "chained_lookup",
       "accounts": ["dr.a", "dr.b"], "ips": ["51.68.1.2"],
       "start": "2022-03-08T00:00:00.000Z", "end": "2022-03-08T01:00:00.000Z",
       "events": 10, "lookups": 10, "exported_records": 0},
      {"id": "bulk_export-1", "kind": "bulk_export",
       "accounts": ["dr.c"], "ips": ["51.68.9.9"],
       "start": "2022-03-08T02:00:00.000Z", "end": "2022-03-08T03:00:00.000Z",
       "events": 2, "lookups": 0, "exported_records": 5000}
    ],
    "benign_traps": [{"entity": "193.48.0.1", "kind": "hospital_nat"},
                     {"entity": "ph.x", "kind": "pharmacist"}]
  })";
  return ParseLabels(json).value();
}

std::vector<EventFacts> Events() {
  std::vector<EventFacts> events;
  // Ten successful lookups by dr.a from the campaign IP, one a minute.
  for (int i = 0; i < 10; ++i) {
    events.push_back({kT0 + i * kMin, "dr.a", "51.68.1.2", true, 0});
  }
  // dr.a's own benign lookup from home: not part of the campaign.
  events.push_back({kT0 + 5 * kMin, "dr.a", "90.1.1.1", true, 0});
  // A failed lookup (not found): exposes nothing.
  events.push_back({kT0 + 11 * kMin, "dr.b", "51.68.1.2", false, 0});
  // Two exports by dr.c.
  events.push_back({kT0 + 120 * kMin, "dr.c", "51.68.9.9", false, 2000});
  events.push_back({kT0 + 130 * kMin, "dr.c", "51.68.9.9", false, 3000});
  events.push_back({kT0, "ph.x", "80.1.1.1", true, 0});
  events.push_back({kT0, "nobody", "80.1.1.2", true, 0});
  return events;
}

AlertLine Alert(int64_t time_ms, const std::string& account,
                const std::string& ip, double risk, const std::string& id) {
  AlertLine a;
  a.time_ms = time_ms;
  a.rule = "r";
  a.account = account;
  a.ip = ip;
  a.risk = risk;
  a.incident_id = id;
  return a;
}

TEST(Evaluate, CountsRecordsExposedBeforeTheFirstAlert) {
  Labels labels = TwoCampaigns();
  std::vector<EventFacts> events = Events();
  // First alert on dr.a after its 4th lookup (time 3m30s).
  std::vector<AlertLine> alerts = {
      Alert(kT0 + 3 * kMin + 30000, "dr.a", "51.68.1.2", 80, "i1")};
  Evaluation e = Evaluate(labels, alerts, &events);
  ASSERT_EQ(e.campaigns.size(), 2u);
  EXPECT_TRUE(e.campaigns[0].detected);
  EXPECT_EQ(e.campaigns[0].time_to_first_alert_ms, 3 * kMin + 30000);
  EXPECT_EQ(*e.campaigns[0].exposed_before_alert, 4);
  EXPECT_EQ(*e.campaigns[0].exposed_total, 10);
  EXPECT_FALSE(e.campaigns[1].detected);
  EXPECT_EQ(*e.campaigns[1].exposed_before_alert, 5000);
  EXPECT_EQ(e.median_exposed_by_kind["chained_lookup"], 4);
}

TEST(Evaluate, AnAlertOnTheCampaignIpCountsAsDetection) {
  Labels labels = TwoCampaigns();
  std::vector<AlertLine> alerts = {
      Alert(kT0 + 125 * kMin, "", "51.68.9.9", 60, "i1")};
  Evaluation e = Evaluate(labels, alerts, nullptr);
  EXPECT_TRUE(e.campaigns[1].detected);
  EXPECT_FALSE(e.campaigns[1].exposed_before_alert.has_value());
  EXPECT_EQ(e.false_incidents, 0);
}

TEST(Evaluate, AlertsOutsideTheCampaignWindowAreFalseIncidents) {
  Labels labels = TwoCampaigns();
  std::vector<AlertLine> alerts = {
      // Campaign account, but a day later: a false incident ("other").
      Alert(kT0 + 24 * 60 * kMin, "dr.a", "90.1.1.1", 50, "i1"),
      // Two alerts of one incident on a hospital NAT.
      Alert(kT0, "", "193.48.0.1", 50, "i2"),
      Alert(kT0 + kMin, "", "193.48.0.1", 70, "i2"),
      Alert(kT0, "ph.x", "80.1.1.1", 50, "i3"),
  };
  Evaluation e = Evaluate(labels, alerts, nullptr);
  EXPECT_FALSE(e.campaigns[0].detected);
  EXPECT_EQ(e.incidents, 3);
  EXPECT_EQ(e.false_incidents, 3);
  EXPECT_EQ(e.false_by_trap["other"], 1);
  EXPECT_EQ(e.false_by_trap["hospital_nat"], 1);
  EXPECT_EQ(e.false_by_trap["pharmacist"], 1);
  EXPECT_DOUBLE_EQ(e.account_days, 200);
  EXPECT_DOUBLE_EQ(e.false_per_10k_account_days, 150);
}

TEST(Evaluate, AucRanksCampaignAccountsAboveOthers) {
  Labels labels = TwoCampaigns();
  std::vector<EventFacts> events = Events();
  std::vector<AlertLine> perfect = {
      Alert(kT0, "dr.a", "51.68.1.2", 90, "i1"),
      Alert(kT0, "dr.b", "51.68.1.2", 90, "i2"),
      Alert(kT0 + 121 * kMin, "dr.c", "51.68.9.9", 90, "i3")};
  EXPECT_DOUBLE_EQ(*Evaluate(labels, perfect, &events).auc, 1.0);
  // No alerts: every account scores 0, a coin toss.
  EXPECT_DOUBLE_EQ(*Evaluate(labels, {}, &events).auc, 0.5);
  std::vector<AlertLine> inverted = {Alert(kT0, "ph.x", "80.1.1.1", 90, "i1"),
                                     Alert(kT0, "nobody", "80.1.1.2", 90, "i2")};
  EXPECT_DOUBLE_EQ(*Evaluate(labels, inverted, &events).auc, 0.0);
}

TEST(Evaluate, SprayTargetsAlertedFromTheirOwnAddressAreNotDetections) {
  Labels labels = ParseLabels(R"({"accounts": 10, "days": 1, "campaigns": [
      {"id": "password_spray-1", "kind": "password_spray",
       "accounts": ["u1", "u2"], "ips": ["203.0.113.9"],
       "start": "2022-03-08T00:00:00Z", "end": "2022-03-08T05:00:00Z"}]})")
                      .value();
  std::vector<AlertLine> own = {Alert(kT0 + kMin, "u1", "90.1.1.1", 50, "i1")};
  EXPECT_FALSE(Evaluate(labels, own, nullptr).campaigns[0].detected);
  std::vector<AlertLine> attacker = {
      Alert(kT0 + kMin, "u1", "203.0.113.9", 50, "i1")};
  EXPECT_TRUE(Evaluate(labels, attacker, nullptr).campaigns[0].detected);
}

TEST(Evaluate, AucUsesPerAccountScoresAndLeavesSprayTargetsOut) {
  Labels labels = ParseLabels(R"({"accounts": 4, "days": 1, "campaigns": [
      {"id": "chained_lookup-1", "kind": "chained_lookup",
       "accounts": ["victim"], "ips": ["51.68.1.1"],
       "start": "2022-03-08T00:00:00Z", "end": "2022-03-08T01:00:00Z"},
      {"id": "password_spray-1", "kind": "password_spray",
       "accounts": ["target"], "ips": ["203.0.113.9"],
       "start": "2022-03-08T00:00:00Z", "end": "2022-03-08T05:00:00Z"}]})")
                      .value();
  std::map<std::string, double> scores = {
      {"victim", 80}, {"target", 0}, {"alice", 30}, {"bob", 10}};
  Evaluation e = Evaluate(labels, {}, nullptr, &scores);
  ASSERT_TRUE(e.auc.has_value());
  EXPECT_DOUBLE_EQ(*e.auc, 1.0);  // "target" (score 0) is not a positive.
  scores["alice"] = 90;
  EXPECT_DOUBLE_EQ(*Evaluate(labels, {}, nullptr, &scores).auc, 0.5);
}

TEST(LoadScores, ReadsReplayScoresAndRejectsOtherFiles) {
  const std::string dir = std::getenv("TEST_TMPDIR");
  std::ofstream(dir + "/scores.csv") << "account,max_risk\ndr.a,62.5\nb,0\n";
  std::ofstream(dir + "/bad.csv") << "account,max_risk\ndr.a;62\n";
  std::ofstream(dir + "/other.csv") << "time,account\n";
  absl::StatusOr<std::map<std::string, double>> scores =
      LoadScores(dir + "/scores.csv");
  ASSERT_TRUE(scores.ok());
  EXPECT_DOUBLE_EQ(scores->at("dr.a"), 62.5);
  EXPECT_EQ(LoadScores(dir + "/bad.csv").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadScores(dir + "/other.csv").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadScores(dir + "/missing.csv").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ParseLabels, RejectsMalformedLabels) {
  EXPECT_EQ(ParseLabels("{").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseLabels("{\"campaigns\": 3}").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseLabels(R"({"campaigns":[{"id":"x","start":"soon","end":"later"}]})")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

// Accounts a stuffing logged into: named when an alert names the account
// within the campaign's span (+1 h); a success from another address, or a
// failure, takes nothing over.
TEST(Evaluate, CountsAccountsTakenOverAndNamed) {
  Labels labels;
  LabeledCampaign c;
  c.id = "credential_stuffing-1";
  c.kind = "credential_stuffing";
  c.accounts = {"dr.a", "dr.b", "dr.c"};
  c.ips = {"88.1.1.1"};
  c.start_ms = kT0;
  c.end_ms = kT0 + 60 * kMin;
  labels.campaigns.push_back(c);
  labels.accounts = 10;
  labels.days = 1;
  std::vector<EventFacts> events = {
      {kT0 + kMin, "dr.a", "88.1.1.1", false, 0, true},
      {kT0 + 2 * kMin, "dr.b", "88.1.1.1", false, 0, true},
      {kT0 + 3 * kMin, "dr.c", "90.1.1.1", false, 0, true},   // Own line.
      {kT0 + 4 * kMin, "dr.c", "88.1.1.1", false, 0, false},  // Failed.
  };
  std::vector<AlertLine> alerts = {
      Alert(kT0 + kMin, "dr.a", "88.1.1.1", 75, "i1"),
      Alert(kT0 + 200 * kMin, "dr.b", "88.1.1.1", 75, "i2"),  // Too late.
  };
  Evaluation e = Evaluate(labels, alerts, &events);
  ASSERT_TRUE(e.taken_over.has_value());
  EXPECT_EQ(*e.taken_over, 2);
  EXPECT_EQ(e.taken_over_named, 1);
  EXPECT_FALSE(Evaluate(labels, alerts, nullptr).taken_over.has_value());
}

TEST(FormatTableRow, SummarisesOneDetector) {
  Labels labels = TwoCampaigns();
  std::vector<EventFacts> events = Events();
  std::vector<AlertLine> alerts = {
      Alert(kT0 + 3 * kMin + 30000, "dr.a", "51.68.1.2", 80, "i1")};
  Evaluation e = Evaluate(labels, alerts, &events);
  EXPECT_EQ(FormatTableRow("| 100×2 | 1 ", "vigie", e),
            "| 100×2 | 1 | vigie | 1/2 | 4 | n/a | bulk_export | 0/0 | 0.00 | 0.667 |\n");
}

}  // namespace
}  // namespace eval
}  // namespace vigie
