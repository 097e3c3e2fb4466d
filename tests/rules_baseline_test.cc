// The rules baseline fires each rule exactly at its threshold, aggregates
// firings into one incident per (rule, entity), and closes it after the
// quiet period.
#include <string>
#include <vector>

#include "detector/signals/rules_baseline.h"
#include "gtest/gtest.h"

namespace vigie {
namespace {

class CollectingSink : public AlertSink {
 public:
  void Emit(const v1::Alert& alert) override { alerts.push_back(alert); }
  std::vector<v1::Alert> alerts;
  int Count(const std::string& rule, v1::IncidentState state) const {
    int n = 0;
    for (const v1::Alert& a : alerts) {
      n += a.rule_name() == rule && a.incident_state() == state;
    }
    return n;
  }
};

constexpr int64_t kT0 = 1646697600000;

Event Login(int64_t t, uint32_t account, uint32_t ip, Outcome outcome) {
  Event e;
  e.time_ms = t;
  e.account = account;
  e.ip = IpAddress::FromV4(ip);
  e.action = Action::kLogin;
  e.outcome = outcome;
  return e;
}

RulesBaseline Make(CollectingSink* sink) {
  return RulesBaseline(RulesBaselineOptions(),
                       [](uint32_t a) { return "acct" + std::to_string(a); },
                       sink);
}

TEST(RulesBaseline, FiveFailuresFromOneIpInTenMinutesOpenOneIncident) {
  CollectingSink sink;
  RulesBaseline rules = Make(&sink);
  for (int i = 0; i < 4; ++i) {
    rules.Observe(Login(kT0 + i * 60000, 1, 0x01020304, Outcome::kFailure));
  }
  EXPECT_EQ(sink.Count("fail2ban_ip_failures", v1::INCIDENT_OPENED), 0);
  rules.Observe(Login(kT0 + 4 * 60000, 1, 0x01020304, Outcome::kFailure));
  EXPECT_EQ(sink.Count("fail2ban_ip_failures", v1::INCIDENT_OPENED), 1);
  EXPECT_EQ(sink.alerts.back().source_ip(), "1.2.3.4");
  // More failures extend the same incident.
  rules.Observe(Login(kT0 + 5 * 60000, 1, 0x01020304, Outcome::kFailure));
  EXPECT_EQ(sink.Count("fail2ban_ip_failures", v1::INCIDENT_OPENED), 1);
  // An hour of quiet closes it.
  rules.Observe(Login(kT0 + 70 * 60000, 2, 0x05060708, Outcome::kSuccess));
  EXPECT_EQ(sink.Count("fail2ban_ip_failures", v1::INCIDENT_CLOSED), 1);
}

TEST(RulesBaseline, FailuresSpreadOverMoreThanTenMinutesDoNotFire) {
  CollectingSink sink;
  RulesBaseline rules = Make(&sink);
  for (int i = 0; i < 20; ++i) {
    rules.Observe(Login(kT0 + i * 3 * 60000, 1, 0x01020304, Outcome::kFailure));
  }
  EXPECT_EQ(sink.Count("fail2ban_ip_failures", v1::INCIDENT_OPENED), 0);
}

TEST(RulesBaseline, TwentyFailingAccountsFromOneIpInAnHourFire) {
  CollectingSink sink;
  RulesBaseline rules = Make(&sink);
  for (uint32_t a = 1; a <= 20; ++a) {
    rules.Observe(Login(kT0 + a * 170000, a, 0x0a000001, Outcome::kFailure));
    EXPECT_EQ(sink.Count("sigma_ip_failing_accounts", v1::INCIDENT_OPENED),
              a == 20 ? 1 : 0)
        << a;
  }
}

TEST(RulesBaseline, NewIpLoginFiresOnlyAfterTheLearningPeriod) {
  CollectingSink sink;
  RulesBaseline rules = Make(&sink);
  rules.Observe(Login(kT0, 1, 0x01010101, Outcome::kSuccess));
  rules.Observe(Login(kT0 + 3600000, 1, 0x02020202, Outcome::kSuccess));
  EXPECT_EQ(sink.Count("sigma_new_ip_login", v1::INCIDENT_OPENED), 0);
  const int64_t day = 86400000;
  rules.Observe(Login(kT0 + day + 1, 1, 0x01010101, Outcome::kSuccess));
  EXPECT_EQ(sink.Count("sigma_new_ip_login", v1::INCIDENT_OPENED), 0);
  rules.Observe(Login(kT0 + day + 2, 1, 0x03030303, Outcome::kSuccess));
  EXPECT_EQ(sink.Count("sigma_new_ip_login", v1::INCIDENT_OPENED), 1);
  EXPECT_EQ(sink.alerts.back().account(), "acct1");
}

TEST(RulesBaseline, ExportsAboveAThousandRecordsADayFire) {
  CollectingSink sink;
  RulesBaseline rules = Make(&sink);
  Event e = Login(kT0, 7, 0x01010101, Outcome::kSuccess);
  e.action = Action::kExport;
  e.has_records = true;
  e.records = 600;
  rules.Observe(e);
  e.time_ms += 1000;
  e.records = 400;  // Exactly 1000: not above.
  rules.Observe(e);
  EXPECT_EQ(sink.Count("sigma_bulk_export", v1::INCIDENT_OPENED), 0);
  e.time_ms += 1000;
  e.records = 1;
  rules.Observe(e);
  EXPECT_EQ(sink.Count("sigma_bulk_export", v1::INCIDENT_OPENED), 1);
}

TEST(RulesBaseline, MoreThanAHundredDistinctSubjectsAnHourFire) {
  CollectingSink sink;
  RulesBaseline rules = Make(&sink);
  for (int i = 0; i < 101; ++i) {
    Event e = Login(kT0 + i * 30000, 3, 0x01010101, Outcome::kSuccess);
    e.action = Action::kLookup;
    e.subject = 1000 + i;
    e.subject_flags = kSubjectPresent;
    rules.Observe(e);
    EXPECT_EQ(sink.Count("sigma_distinct_subjects", v1::INCIDENT_OPENED),
              i == 100 ? 1 : 0)
        << i;
  }
}

}  // namespace
}  // namespace vigie
