// Scenario tests of the detection engine: one per attack kind and per benign
// trap, on hand-made events, checking alert or no alert and the evidence.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detector/detector.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/collecting_sink.h"

namespace vigie {
namespace {

using ::testing::HasSubstr;

using Sink = CollectingSink;

constexpr int64_t kT0 = 1646900000000;  // 2022-03-10T08:13:20Z
constexpr int64_t kSec = 1000;
constexpr int64_t kHourMs = 3600 * kSec;

class DetectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    detector_ = Detector::Create(
                    options_,
                    [](uint32_t a) { return absl::StrCat("acct", a); }, &sink_)
                    .value();
  }
  Event Make(int64_t t, uint32_t account, uint32_t ip, Action action,
             Outcome outcome = Outcome::kSuccess) {
    Event e;
    e.time_ms = t;
    e.account = account;
    e.ip = IpAddress::FromV4(ip);
    e.action = action;
    e.outcome = outcome;
    e.profession = 1;
    e.user_agent_hash = 77;
    return e;
  }
  Event Lookup(int64_t t, uint32_t account, uint32_t ip, uint64_t subject) {
    Event e = Make(t, account, ip, Action::kLookup);
    e.subject = subject;
    e.subject_flags = kSubjectPresent;
    return e;
  }
  // Two working days of 300 accounts (100..399) of one profession, each
  // reading 2 or 3 people new to it an hour from its own line, so that
  // the peer baselines know a day.
  void TwoOrdinaryDays() {
    constexpr int64_t kMinuteMs = 60 * kSec;
    for (int day = 0; day < 2; ++day) {
      for (int hour = 8; hour < 18; ++hour) {
        for (uint32_t account = 100; account < 400; ++account) {
          const int64_t t = kT0 + day * 24 * kHourMs + hour * kHourMs +
                            (account % 50) * kMinuteMs;
          const uint32_t ip = 0x5e000000 + account * 256;
          if (hour == 8) {
            detector_->Observe(Make(t, account, ip, Action::kLogin));
          }
          for (int k = 0; k < 2 + static_cast<int>(account % 2); ++k) {
            detector_->Observe(
                Lookup(t + (k + 1) * kSec, account, ip, next_subject_++));
          }
        }
      }
    }
  }
  DetectorOptions options_;
  Sink sink_;
  std::unique_ptr<Detector> detector_;
  uint64_t next_subject_ = 1;
};

TEST_F(DetectorTest, ChainedLookupRobotOnANewAccountIsCaughtWithinAMinute) {
  detector_->Observe(Make(kT0, 1, 0x33440001, Action::kLogin));
  int exposed = 0;
  for (int i = 0; i < 200 && sink_.Opened().empty(); ++i) {
    detector_->Observe(Lookup(kT0 + 1000 + i * 500, 1, 0x33440001, 1000 + i));
    ++exposed;
  }
  ASSERT_EQ(sink_.Opened().size(), 1u);
  const v1::Alert a = sink_.Opened()[0];
  EXPECT_EQ(a.rule_name(), "lookup_enumeration");
  EXPECT_EQ(a.account(), "acct1");
  EXPECT_THAT(a.message(), HasSubstr("people new to this account in 1 min"));
  EXPECT_LE(exposed, 45);
  EXPECT_GE(a.risk_score(), options_.alert_threshold);
}

// A low-and-slow reader on an account nobody used since the detector
// started (its owner was away): the account is young, judged on blatant
// volume only, for its learning period; then against its profession's
// tail, which knows two whole days of 300 accounts reading a few new
// people an hour, so it is caught within its first working day.
TEST_F(DetectorTest, AnAccountAnAttackerIsFirstToUseIsCaughtTheSameDay) {
  constexpr int64_t kMinuteMs = 60 * kSec;
  TwoOrdinaryDays();
  ASSERT_TRUE(sink_.Opened().empty());
  const int64_t day3 = kT0 + 2 * 24 * kHourMs + 9 * kHourMs;
  detector_->Observe(Make(day3, 7, 0x51000001, Action::kLogin));
  int exposed = 0;
  // One person a minute, all day (a working day is 480 of them).
  for (int i = 0; i < 480 && sink_.Opened().empty(); ++i) {
    detector_->Observe(Lookup(day3 + (i + 1) * kMinuteMs, 7, 0x51000001,
                              1'000'000 + i));
    ++exposed;
  }
  ASSERT_EQ(sink_.Opened().size(), 1u);
  const v1::Alert a = sink_.Opened()[0];
  EXPECT_EQ(a.rule_name(), "lookup_enumeration");
  EXPECT_EQ(a.account(), "acct7");
  EXPECT_THAT(a.message(), HasSubstr("people new to this account in 1 h"));
  // Not before the learning period, and soon after it.
  const int learning_minutes = static_cast<int>(
      absl::ToInt64Minutes(options_.account_learning_period));
  EXPECT_GE(exposed, learning_minutes);
  EXPECT_LE(exposed, learning_minutes + 10);
}

// A robot on an account nobody used yet: young, but within a minute what
// limits a person is how fast anyone can look people up, so its peers'
// minute judges it (the cold-start floor alone would let 30 through).
TEST_F(DetectorTest, ARobotOnAnAccountNobodyUsedYetMeetsItsPeersMinute) {
  TwoOrdinaryDays();
  ASSERT_TRUE(sink_.Opened().empty());
  const int64_t day3 = kT0 + 2 * 24 * kHourMs + 3 * kHourMs;
  detector_->Observe(Make(day3, 8, 0x33440001, Action::kLogin));
  int exposed = 0;
  for (int i = 0; i < 200 && sink_.Opened().empty(); ++i) {
    detector_->Observe(Lookup(day3 + 1000 + i * 500, 8, 0x33440001, 5000 + i));
    ++exposed;
  }
  ASSERT_EQ(sink_.Opened().size(), 1u);
  EXPECT_THAT(sink_.Opened()[0].message(),
              HasSubstr("people new to this account in 1 min"));
  EXPECT_LE(exposed, 12);
}

// After a robot's burst, the account's day window holds its thousands of
// lookups for 24 h. Once the incident has gone quiet, the owner's ordinary
// reading the next morning is not that burst again; the robot coming back
// is a new incident.
TEST_F(DetectorTest, ADayTotalAlreadyReportedDoesNotReopenOnTheOwnersLookups) {
  constexpr int64_t kMinuteMs = 60 * kSec;
  TwoOrdinaryDays();
  ASSERT_TRUE(sink_.Opened().empty());
  const uint32_t owner = 123;
  const uint32_t line = 0x5e000000 + owner * 256;
  const int64_t day3 = kT0 + 2 * 24 * kHourMs;
  detector_->Observe(Make(day3 + 10 * kHourMs, owner, line, Action::kLogin));
  for (int i = 0; i < 2000; ++i) {  // A robot, one lookup every 0.6 s.
    detector_->Observe(Lookup(day3 + 10 * kHourMs + (i + 1) * 600, owner, line,
                              10'000'000 + i));
  }
  ASSERT_EQ(sink_.Opened().size(), 1u);
  // The next morning, within 24 h of the burst: 6 new people an hour,
  // under the hour's floor (8) but a pace that would reach the day's (40)
  // in a working day.
  const int64_t day4 = day3 + 24 * kHourMs;
  detector_->Observe(Make(day4 + 8 * kHourMs, owner, line, Action::kLogin));
  for (int i = 0; i < 18; ++i) {
    detector_->Observe(Lookup(day4 + 8 * kHourMs + (i + 1) * 10 * kMinuteMs,
                              owner, line, next_subject_++));
  }
  EXPECT_EQ(sink_.Opened().size(), 1u);
  // The robot again.
  for (int i = 0; i < 300; ++i) {
    detector_->Observe(Lookup(day4 + 11 * kHourMs + (i + 1) * 600, owner, line,
                              20'000'000 + i));
  }
  EXPECT_EQ(sink_.Opened().size(), 2u);
}

TEST_F(DetectorTest, BruteForceThenSuccessForcesAPasswordReset) {
  for (int i = 0; i < 12; ++i) {
    detector_->Observe(
        Make(kT0 + i * 2 * kSec, 7, 0x0a000001, Action::kLogin, Outcome::kFailure));
  }
  detector_->Observe(Make(kT0 + 30 * kSec, 7, 0x0a000001, Action::kLogin));
  bool success_after_failures = false;
  for (const v1::Alert& a : sink_.alerts) {
    if (a.message().find("successful login after 12 failures") !=
        std::string::npos) {
      success_after_failures = true;
      EXPECT_EQ(a.recommended_action(), v1::FORCE_PASSWORD_RESET);
    }
  }
  EXPECT_TRUE(success_after_failures);
  ASSERT_FALSE(sink_.Opened().empty());
  EXPECT_EQ(sink_.Opened()[0].rule_name(), "credential_attack");
}

TEST_F(DetectorTest, PasswordSprayFromOneAddressBlocksTheAddress) {
  for (uint32_t a = 1; a <= 25; ++a) {
    detector_->Observe(Make(kT0 + a * 7 * 60 * kSec, a, 0x0b000001,
                            Action::kLogin, Outcome::kFailure));
  }
  bool blocked = false;
  for (const v1::Alert& a : sink_.Opened()) {
    if (a.source_ip() == "11.0.0.1" && a.account().empty()) {
      blocked = true;
      EXPECT_EQ(a.recommended_action(), v1::BLOCK_IP);
      EXPECT_THAT(a.message(), HasSubstr("different accounts failed"));
    }
  }
  EXPECT_TRUE(blocked);
}

TEST_F(DetectorTest, HospitalNatSharedByAHundredAccountsDoesNotAlert) {
  for (uint32_t a = 1; a <= 100; ++a) {
    const int64_t t = kT0 + a * 30 * kSec;
    if (a % 20 == 0) {  // A few typos.
      detector_->Observe(Make(t - 5 * kSec, a, 0xc1300001, Action::kLogin,
                              Outcome::kFailure));
    }
    detector_->Observe(Make(t, a, 0xc1300001, Action::kLogin));
    for (int k = 0; k < 5; ++k) {
      detector_->Observe(
          Lookup(t + (k + 1) * 40 * kSec, a, 0xc1300001, a * 100 + k));
    }
  }
  EXPECT_TRUE(sink_.Opened().empty());
}

// Without a location database a session's move to a network the account
// never used is recorded (25), not an incident: a phone's first use of its
// mobile data looks the same (tests/session_move_test.cc has the cases a
// location database tells apart).
TEST_F(DetectorTest, SessionMoveWithoutLocationIsRecordedNotAnIncident) {
  for (int d = 0; d < 5; ++d) {
    detector_->Observe(Make(kT0 + d * kHourMs, 3, 0x50000001, Action::kLogin));
  }
  const int64_t t = kT0 + 6 * kHourMs;
  detector_->Observe(Make(t, 3, 0x50000001, Action::kLogin));
  detector_->Observe(Lookup(t + 60 * kSec, 3, 0x50000001, 1));
  const double risk =
      detector_->Observe(Lookup(t + 5 * 60 * kSec, 3, 0x5a000009, 2));
  EXPECT_EQ(risk, 25);
  // Within the session's /24: nothing.
  EXPECT_EQ(detector_->Observe(Lookup(t + 6 * 60 * kSec, 3, 0x50000077, 3)),
            0);
  EXPECT_TRUE(sink_.Opened().empty());
}

TEST_F(DetectorTest, TravellerLoggingInFromANewNetworkDoesNotAlertAlone) {
  for (int d = 0; d < 5; ++d) {
    detector_->Observe(Make(kT0 + d * kHourMs, 4, 0x50000002, Action::kLogin));
  }
  const int64_t t = kT0 + 30 * kHourMs;
  detector_->Observe(Make(t, 4, 0xcb000001, Action::kLogin));
  for (int k = 0; k < 5; ++k) {
    detector_->Observe(Lookup(t + (k + 1) * 120 * kSec, 4, 0xcb000001, 50 + k));
  }
  EXPECT_TRUE(sink_.Opened().empty());
}

// Credential stuffing that got in before it was recognised: the account
// that logged in from the address, minutes before the address failed on
// eight others, is named by an incident of its own (a password reset);
// an account that then logs in from the address is named at once.
TEST_F(DetectorTest, AccountsAStuffingAddressGotIntoAreNamed) {
  const uint32_t kStuffer = 0x4e000042;
  detector_->Observe(Make(kT0, 40, kStuffer, Action::kLogin));
  EXPECT_TRUE(sink_.Opened().empty());
  for (uint32_t k = 0; k < 8; ++k) {
    detector_->Observe(Make(kT0 + (k + 1) * 20 * kSec, 100 + k, kStuffer,
                            Action::kLogin, Outcome::kFailure));
  }
  bool named = false;
  for (const v1::Alert& a : sink_.Opened()) {
    if (a.account() != "acct40") continue;
    named = true;
    EXPECT_EQ(a.rule_name(), "credential_attack");
    EXPECT_EQ(a.recommended_action(), v1::FORCE_PASSWORD_RESET);
    EXPECT_THAT(a.message(), HasSubstr("a stolen password that worked"));
  }
  EXPECT_TRUE(named);
  detector_->Observe(Make(kT0 + 300 * kSec, 41, kStuffer, Action::kLogin));
  ASSERT_FALSE(sink_.Opened().empty());
  EXPECT_EQ(sink_.Opened().back().account(), "acct41");
  EXPECT_EQ(sink_.Opened().back().rule_name(), "credential_attack");
}

TEST_F(DetectorTest, BulkExportFarAboveTheBaselineSuspendsTheAccount) {
  Event e = Make(kT0, 5, 0x60000001, Action::kExport);
  e.has_records = true;
  e.records = 20;
  detector_->Observe(e);
  EXPECT_TRUE(sink_.Opened().empty());
  e.time_ms += 60 * kSec;
  e.records = 5000;
  detector_->Observe(e);
  ASSERT_EQ(sink_.Opened().size(), 1u);
  EXPECT_EQ(sink_.Opened()[0].rule_name(), "bulk_export");
  EXPECT_EQ(sink_.Opened()[0].recommended_action(), v1::SUSPEND_ACCOUNT);
  EXPECT_THAT(sink_.Opened()[0].message(), HasSubstr("exported 5020 records"));
}

// An account's failure and export windows, and an address's failure sets,
// live in tables of their own while they hold something: a day and a half
// later they are dropped (an account's by its shard, when it next needs
// the table: one shard here), and a brute force afterwards is counted
// from zero, as it would be anyway.
TEST_F(DetectorTest, FailureAndExportWindowsAreKeptOnlyWhileTheyHoldSomething) {
  options_.shards = 1;
  SetUp();
  for (uint32_t account = 1; account <= 3; ++account) {
    detector_->Observe(Make(kT0 + account * kSec, account, 0x0a000001,
                            Action::kLogin, Outcome::kFailure));
  }
  Event e = Make(kT0 + 10 * kSec, 4, 0x0a000002, Action::kExport);
  e.has_records = true;
  e.records = 20;
  detector_->Observe(e);
  EXPECT_EQ(detector_->stats().accounts_with_windows, 4u);
  EXPECT_EQ(detector_->stats().addresses_with_failures, 1u);
  const int64_t later = kT0 + 36 * kHourMs;
  for (int i = 0; i < 12; ++i) {
    detector_->Observe(Make(later + i * 2 * kSec, 7, 0x0b000001,
                            Action::kLogin, Outcome::kFailure));
  }
  EXPECT_EQ(detector_->stats().accounts_with_windows, 1u);
  // The first address's failure sets went the same way.
  EXPECT_EQ(detector_->stats().addresses_with_failures, 1u);
  ASSERT_EQ(sink_.Opened().size(), 1u);
  EXPECT_EQ(sink_.Opened()[0].account(), "acct7");
  EXPECT_THAT(sink_.Opened()[0].message(), HasSubstr("12 failed logins"));
  detector_->ForgetAccount(7);
  EXPECT_EQ(detector_->stats().accounts_with_windows, 0u);
}

TEST_F(DetectorTest, AnAddressKeepsASetOfAccountsOnlyWhileYoungAndShared) {
  for (uint32_t account = 1; account <= 3; ++account) {
    detector_->Observe(
        Make(kT0 + account * kSec, account, 0x0a000001, Action::kLogin));
  }
  detector_->Observe(Make(kT0 + 5 * kSec, 4, 0x0a000002, Action::kLogin));
  detector_->Observe(Make(kT0 + 6 * kSec, 4, 0x0a000002, Action::kLogin));
  EXPECT_EQ(detector_->stats().addresses, 2u);
  EXPECT_EQ(detector_->stats().addresses_with_account_sets, 1u);
  EXPECT_GT(detector_->stats().address_accounts_table_bytes, 0u);
  // A day later the shared address's accounts are never read again.
  detector_->Observe(Make(kT0 + 25 * kHourMs, 1, 0x0a000001, Action::kLogin));
  EXPECT_EQ(detector_->stats().addresses_with_account_sets, 0u);
}

TEST_F(DetectorTest, IncidentsAggregateAndCloseAfterTheQuietPeriod) {
  for (int i = 0; i < 300; ++i) {
    detector_->Observe(Lookup(kT0 + i * 300, 9, 0x33440009, 5000 + i));
  }
  const size_t opened = sink_.Opened().size();
  EXPECT_EQ(opened, 1u);
  EXPECT_LT(sink_.alerts.size(), 10u);  // Not one alert per lookup.
  detector_->Observe(Make(kT0 + 3 * kHourMs, 10, 0x01010101, Action::kLogin));
  EXPECT_EQ(sink_.alerts.back().incident_state(), v1::INCIDENT_CLOSED);
}

TEST(DetectorAllowlist, AllowlistedAccountsAndNetworksNeverAlert) {
  DetectorOptions options;
  options.allowlisted_accounts = {"acct1"};
  options.allowlisted_networks = {{IpAddress::FromV4(0x0b000000), 24}};
  Sink sink;
  auto detector =
      Detector::Create(options,
                       [](uint32_t a) { return absl::StrCat("acct", a); },
                       &sink)
          .value();
  for (int i = 0; i < 300; ++i) {
    Event e;
    e.time_ms = kT0 + i * 300;
    e.account = 1;
    e.ip = IpAddress::FromV4(0x33440001);
    e.action = Action::kLookup;
    e.subject = 1000 + i;
    e.subject_flags = kSubjectPresent;
    detector->Observe(e);
  }
  for (uint32_t a = 2; a <= 40; ++a) {
    Event e;
    e.time_ms = kT0 + a * kSec;
    e.account = a;
    e.ip = IpAddress::FromV4(0x0b000005);  // Inside 11.0.0.0/24.
    e.action = Action::kLogin;
    e.outcome = Outcome::kFailure;
    detector->Observe(e);
  }
  for (const v1::Alert& a : sink.alerts) {
    EXPECT_NE(a.account(), "acct1");
    EXPECT_NE(a.source_ip(), "11.0.0.5");
  }
}

TEST(DetectorSharedInfrastructure, ANewAddressCarryingFourAccountsIsBlocked) {
  DetectorOptions options;
  options.shared_infrastructure_alerts = true;
  Sink sink;
  auto detector =
      Detector::Create(options,
                       [](uint32_t a) { return absl::StrCat("acct", a); },
                       &sink)
          .value();
  auto login = [&](int64_t t, uint32_t account, uint32_t ip) {
    Event e;
    e.time_ms = t;
    e.account = account;
    e.ip = IpAddress::FromV4(ip);
    e.action = Action::kLogin;
    detector->Observe(e);
  };
  // Day 0: a hospital NAT carries ten accounts (learned as shared egress).
  for (uint32_t a = 1; a <= 10; ++a) login(kT0 + a * 60 * kSec, a, 0xc1300001);
  EXPECT_TRUE(sink.Opened().empty());
  // A day later the NAT is known; a brand-new address serving four
  // accounts within the hour is not.
  const int64_t day = 24 * kHourMs;
  for (uint32_t a = 1; a <= 10; ++a) login(kT0 + day + a * 60 * kSec, a, 0xc1300001);
  EXPECT_TRUE(sink.Opened().empty());
  for (uint32_t a = 1; a <= 4; ++a) {
    login(kT0 + day + 2 * kHourMs + a * 300 * kSec, a, 0x33440077);
  }
  bool blocked = false;
  for (const v1::Alert& a : sink.Opened()) {
    if (a.rule_name() == "shared_infrastructure" && a.account().empty()) {
      blocked = true;
      EXPECT_EQ(a.source_ip(), "51.68.0.119");
      EXPECT_EQ(a.recommended_action(), v1::BLOCK_NETWORK);
      EXPECT_THAT(a.message(), HasSubstr("4 accounts used this address"));
    }
  }
  EXPECT_TRUE(blocked);
}

TEST(DetectorCreate, RejectsInconsistentOptions) {
  Sink sink;
  auto namer = [](uint32_t a) { return absl::StrCat(a); };
  DetectorOptions bad_threshold;
  bad_threshold.alert_threshold = 0;
  EXPECT_EQ(Detector::Create(bad_threshold, namer, &sink).status().code(),
            absl::StatusCode::kInvalidArgument);
  DetectorOptions bad_network;
  bad_network.allowlisted_networks = {{IpAddress::FromV4(1), 33}};
  EXPECT_EQ(Detector::Create(bad_network, namer, &sink).status().code(),
            absl::StatusCode::kInvalidArgument);
  DetectorOptions tiny;
  tiny.max_state_bytes = 1000;
  EXPECT_EQ(Detector::Create(tiny, namer, &sink).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Detector::Create(DetectorOptions(), namer, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  for (uint32_t one_in : {0u, 1025u}) {
    DetectorOptions sampling;
    sampling.peer_sample_one_in = one_in;
    EXPECT_EQ(Detector::Create(sampling, namer, &sink).status().code(),
              absl::StatusCode::kInvalidArgument)
        << one_in;
  }
  for (uint32_t one_in : {1u, 1024u}) {
    DetectorOptions sampling;
    sampling.peer_sample_one_in = one_in;
    EXPECT_TRUE(Detector::Create(sampling, namer, &sink).ok()) << one_in;
  }
}

}  // namespace
}  // namespace vigie
