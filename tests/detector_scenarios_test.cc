// Scenario tests on simulated traffic: every attack kind raises the right
// incident with the right explanation and action, and the benign traps
// (hospital NAT, carrier NAT, traveller, pharmacist with many new patients,
// night shift, service account) raise none. The hand-made scenarios of
// detector_test.cc check single mechanisms; these check the default
// configuration on a whole population with warm peer baselines.
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "detector/detector.h"
#include "detector/ingest/event_encoder.h"
#include "detector/ingest/pseudonymizer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/simulate/simulator.h"

namespace vigie {
namespace {

using ::testing::HasSubstr;

class Collect : public AlertSink {
 public:
  void Emit(const v1::Alert& alert) override {
    if (alert.incident_state() == v1::INCIDENT_OPENED) opened.push_back(alert);
  }
  std::vector<v1::Alert> opened;
};

class DetectorScenarios : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    static PseudonymKey key;
    static Pseudonymizer pseudonymizer(key);
    static EventEncoder encoder(&pseudonymizer, EncoderOptions());
    sink_ = new Collect();
    DetectorOptions options;
    options.max_state_bytes = size_t{128} << 20;
    options.location_database = "/var/lib/location/database.db";
    auto detector =
        Detector::Create(
            options,
            [](uint32_t id) { return std::string(encoder.AccountName(id)); },
            sink_)
            .value();
    simulate::SimulationOptions sim;
    // The demo's population (scripts/demo.sh).
    sim.accounts = 2000;
    sim.days = 2;
    sim.seed = 1;
    std::set<std::pair<std::string, std::string>> logins;
    auto result = simulate::Simulate(sim, [&](const AccessRecord& record) {
      if (record.action == Action::kLogin &&
          record.outcome == Outcome::kSuccess) {
        logins.emplace(std::string(record.account), record.ip.ToString());
      }
      Event e;
      encoder.Encode(record, &e);
      detector->Observe(e);
      return absl::OkStatus();
    });
    ASSERT_TRUE(result.ok());
    detector->Flush();
    result_ = new simulate::SimulationResult(*std::move(result));
    // Accounts a stuffing or spray logged into from one of its addresses.
    taken_over_ = new std::set<std::string>();
    for (const simulate::CampaignLabel& c : result_->campaigns) {
      if (c.kind != "password_spray" && c.kind != "credential_stuffing") {
        continue;
      }
      for (const std::string& ip : c.ips) {
        for (const std::string& account : c.accounts) {
          if (logins.count({account, ip})) taken_over_->insert(account);
        }
      }
    }
  }

  // Opened incidents naming any of the campaign's accounts or addresses
  // (addresses only, for spray and stuffing, whose accounts are targets).
  static std::vector<v1::Alert> IncidentsFor(const std::string& kind) {
    std::vector<v1::Alert> out;
    for (const simulate::CampaignLabel& c : result_->campaigns) {
      if (c.kind != kind) continue;
      const bool by_address =
          kind == "password_spray" || kind == "credential_stuffing";
      std::set<std::string> accounts(c.accounts.begin(), c.accounts.end());
      std::set<std::string> ips(c.ips.begin(), c.ips.end());
      for (const v1::Alert& a : sink_->opened) {
        const bool account = !by_address && accounts.count(a.account());
        const bool address = a.account().empty() && ips.count(a.source_ip());
        if (account || address) out.push_back(a);
      }
    }
    return out;
  }

  static Collect* sink_;
  static simulate::SimulationResult* result_;
  static std::set<std::string>* taken_over_;
};

Collect* DetectorScenarios::sink_ = nullptr;
simulate::SimulationResult* DetectorScenarios::result_ = nullptr;
std::set<std::string>* DetectorScenarios::taken_over_ = nullptr;

// Every account the stuffing got into is named by an incident of its own,
// recommending a password reset, not only the attacking address.
TEST_F(DetectorScenarios, AccountsTakenOverByStuffingAreNamed) {
  ASSERT_FALSE(taken_over_->empty());
  for (const std::string& account : *taken_over_) {
    bool named = false;
    for (const v1::Alert& a : sink_->opened) {
      if (a.account() != account || a.rule_name() != "credential_attack") {
        continue;
      }
      named = true;
      EXPECT_EQ(a.recommended_action(), v1::FORCE_PASSWORD_RESET);
      EXPECT_THAT(a.message(), HasSubstr("a stolen password that worked"));
    }
    EXPECT_TRUE(named) << account;
  }
}

TEST_F(DetectorScenarios, ChainedLookupsAreEnumeration) {
  const std::vector<v1::Alert> found = IncidentsFor("chained_lookup");
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].rule_name(), "lookup_enumeration");
  EXPECT_THAT(found[0].message(), HasSubstr("people new to this account"));
  EXPECT_THAT(found[0].recommended_action(),
              ::testing::AnyOf(v1::FORCE_PASSWORD_RESET, v1::SUSPEND_ACCOUNT));
}

TEST_F(DetectorScenarios, LowAndSlowReadingIsEnumeration) {
  const std::vector<v1::Alert> found = IncidentsFor("low_and_slow");
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].rule_name(), "lookup_enumeration");
  EXPECT_THAT(found[0].message(), HasSubstr("people new to this account"));
}

TEST_F(DetectorScenarios, CredentialStuffingBlocksTheAddress) {
  const std::vector<v1::Alert> found = IncidentsFor("credential_stuffing");
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].rule_name(), "credential_attack");
  EXPECT_THAT(found[0].message(),
              HasSubstr("different accounts failed to log in from this address"));
  EXPECT_EQ(found[0].recommended_action(), v1::BLOCK_IP);
}

TEST_F(DetectorScenarios, PasswordSprayBlocksTheAddress) {
  const std::vector<v1::Alert> found = IncidentsFor("password_spray");
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].rule_name(), "credential_attack");
  EXPECT_EQ(found[0].recommended_action(), v1::BLOCK_IP);
}

TEST_F(DetectorScenarios, BruteForceForcesAPasswordReset) {
  const std::vector<v1::Alert> found = IncidentsFor("brute_force");
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].rule_name(), "credential_attack");
  EXPECT_THAT(found[0].message(), HasSubstr("failed logins on this account"));
  EXPECT_EQ(found[0].recommended_action(), v1::FORCE_PASSWORD_RESET);
}

TEST_F(DetectorScenarios, BulkExportSuspendsTheAccount) {
  const std::vector<v1::Alert> found = IncidentsFor("bulk_export");
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].rule_name(), "bulk_export");
  EXPECT_THAT(found[0].message(), HasSubstr("exported"));
  EXPECT_EQ(found[0].recommended_action(), v1::SUSPEND_ACCOUNT);
}

TEST_F(DetectorScenarios, SessionHijackIsLoginRisk) {
  const std::vector<v1::Alert> found = IncidentsFor("session_hijack");
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].rule_name(), "login_risk");
  EXPECT_THAT(found[0].message(), HasSubstr("without a login"));
}

// Known gaps (docs/detection.md): in this population two ordinary
// accounts open an incident: a night-shift account's first night from a
// new hospital address, with a day total just over its profession's 99.9th
// percentile, and a burst of nine new people in a minute at a
// machine-like pace. The test holds the line there: every phenomenon of
// the world happens, and at most those two entities alert.
TEST_F(DetectorScenarios, BenignTrapsRaiseAtMostTheTwoKnownIncidents) {
  std::set<std::string> attackers;
  for (const simulate::CampaignLabel& c : result_->campaigns) {
    if (c.kind == "password_spray" || c.kind == "credential_stuffing") {
      continue;  // Their accounts are the targets.
    }
    attackers.insert(c.accounts.begin(), c.accounts.end());
  }
  attackers.insert(taken_over_->begin(), taken_over_->end());
  std::map<std::string, int> traps;
  std::set<std::string> alerted;
  for (const simulate::BenignTrap& trap : result_->benign_traps) {
    ++traps[trap.kind];
    if (attackers.count(trap.entity)) continue;
    for (const v1::Alert& a : sink_->opened) {
      if (a.account() == trap.entity ||
          (a.account().empty() && a.source_ip() == trap.entity)) {
        alerted.insert(trap.entity);
        std::cout << "false incident: " << trap.kind << " " << trap.entity
                  << ": " << a.rule_name() << ": " << a.message() << "\n";
      }
    }
  }
  for (const char* kind : {"hospital_nat", "mobile", "traveller", "pharmacist",
                           "service_account", "night_shift", "roaming_session",
                           "cgnat_per_connection", "dual_stack",
                           "ipv6_privacy"}) {
    EXPECT_GT(traps[kind], 0) << "the simulation has no " << kind;
  }
  EXPECT_LE(alerted.size(), 2u);
}

}  // namespace
}  // namespace vigie
