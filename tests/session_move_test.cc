// A session that continues from another address, judged by how far it
// moved (signals/login_risk.h), with Debian's libloc database: the network
// phenomena of the simulator's worlds open no incident, a stolen session
// replayed from a hosting provider or from abroad does.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detector/alerts/alert_json.h"
#include "detector/detector.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/collecting_sink.h"

namespace vigie {
namespace {

using ::testing::HasSubstr;

constexpr char kDatabase[] = "/var/lib/location/database.db";
constexpr int64_t kT0 = 1646900000000;  // 2022-03-10T08:13:20Z
constexpr int64_t kSec = 1000;
constexpr int64_t kMinute = 60 * kSec;

using Sink = CollectingSink;

IpAddress Ip(const char* text) { return IpAddress::Parse(text).value(); }

class SessionMoveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DetectorOptions options;
    options.location_database = kDatabase;
    options.max_state_bytes = size_t{64} << 20;
    auto created = Detector::Create(
        options, [](uint32_t a) { return absl::StrCat("acct", a); }, &sink_);
    ASSERT_TRUE(created.ok()) << created.status()
                              << " (scripts/install-deps.sh installs "
                                 "libloc-database)";
    detector_ = *std::move(created);
    // A portal's population: 100,000 logins of 2,000 other accounts from
    // French consumer ISPs' fixed lines and mobile carriers, over a day.
    const char* kPrefixes[] = {"90.0.", "78.112.", "82.64.", "176.128.",
                               "37.165.", "77.205.", "80.215."};
    for (int i = 0; i < 100000; ++i) {
      const int p = i % 7;
      Event e = Make(t_ - 86400 * kSec + i * 800, 1000 + i % 2000,
                     Ip(absl::StrCat(kPrefixes[p], (i / 7) % 250, ".",
                                     1 + (i / 1750) % 250)
                            .c_str()),
                     Action::kLogin);
      detector_->Observe(e);
    }
    // The account under test logs in from its Orange line, as usual.
    for (int d = 0; d < 5; ++d) {
      detector_->Observe(
          Make(t_ - (5 - d) * 3600 * kSec, 7, Ip("90.0.12.34"), Action::kLogin));
    }
  }

  Event Make(int64_t t, uint32_t account, IpAddress ip, Action action) {
    Event e;
    e.time_ms = t;
    e.account = account;
    e.ip = ip;
    e.action = action;
    e.outcome = Outcome::kSuccess;
    e.profession = 1;
    e.user_agent_hash = 77;
    return e;
  }
  double Lookup(int64_t t, const char* ip, uint64_t subject) {
    Event e = Make(t, 7, Ip(ip), Action::kLookup);
    e.subject = subject;
    e.subject_flags = kSubjectPresent;
    return detector_->Observe(e);
  }
  // A session from the Orange line: login, two lookups.
  void StartSession() {
    detector_->Observe(Make(t_, 7, Ip("90.0.12.34"), Action::kLogin));
    Lookup(t_ + kMinute, "90.0.12.34", 1);
    Lookup(t_ + 2 * kMinute, "90.0.12.34", 2);
  }

  int64_t t_ = kT0 + 86400 * kSec;
  Sink sink_;
  std::unique_ptr<Detector> detector_;
};

TEST_F(SessionMoveTest, RoamingOntoACommonMobileCarrierIsNotAnIncident) {
  StartSession();
  // Off the Wi-Fi, onto Free Mobile's carrier NAT, then another address of
  // its pool per connection.
  const double first = Lookup(t_ + 3 * kMinute, "37.166.4.9", 3);
  EXPECT_EQ(first, 25);  // A provider the account never used, common.
  // The session does not follow a new provider: each of its addresses is
  // judged the same way, never an incident on its own.
  EXPECT_EQ(Lookup(t_ + 4 * kMinute, "37.170.99.1", 4), 25);
  EXPECT_TRUE(sink_.Opened().empty());
}

TEST_F(SessionMoveTest, DualStackAndTemporaryIpv6AddressesAreNotIncidents) {
  StartSession();
  // The same line's IPv6 (Orange), then a new temporary address in its /64.
  EXPECT_LE(Lookup(t_ + 3 * kMinute, "2a01:cb00:1:2::aa", 3), 25);
  EXPECT_EQ(Lookup(t_ + 4 * kMinute, "2a01:cb00:1:2::bb", 4), 0);
  EXPECT_TRUE(sink_.Opened().empty());
}

TEST_F(SessionMoveTest, RenumberingWithinTheProviderIsWeak) {
  StartSession();
  // Orange gives the line another block: same AS as the session's.
  EXPECT_EQ(Lookup(t_ + 3 * kMinute, "81.250.7.7", 3), 10);
  EXPECT_TRUE(sink_.Opened().empty());
}

TEST_F(SessionMoveTest, StolenSessionReplayedFromAHostingProviderOpens) {
  StartSession();
  // OVH: no login of the portal ever came from it.
  EXPECT_GE(Lookup(t_ + 5 * kMinute, "51.68.40.7", 3), 60);
  const std::vector<v1::Alert> opened = sink_.Opened();
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_THAT(AlertToEcsJson(opened[0]), HasSubstr("\"risk_tier\":\"high\""));
  EXPECT_EQ(opened[0].rule_name(), "login_risk");
  EXPECT_THAT(opened[0].message(), HasSubstr("AS16276"));
  EXPECT_THAT(opened[0].message(),
              HasSubstr("none of the portal's logins came from"));
  // The session does not follow the intruder: the next request from there
  // is judged the same way.
  EXPECT_GE(Lookup(t_ + 6 * kMinute, "51.68.40.7", 4), 60);
}

// A traveller logged in abroad whose phone then carries the session home
// through its French carrier: France is the account's own country, so the
// move weighs as a new provider only.
TEST_F(SessionMoveTest, TravellersPhoneComingHomeIsNotAnotherCountry) {
  detector_->Observe(Make(t_, 7, Ip("80.24.77.1"), Action::kLogin));  // ES.
  EXPECT_EQ(Lookup(t_ + 3 * kMinute, "37.166.4.9", 3), 25);
  EXPECT_TRUE(sink_.Opened().empty());
}

// A session logged in from France used from Morocco five minutes later:
// a country the account never used, further than anyone travels since.
TEST_F(SessionMoveTest, SessionUsedFromAFarCountryMinutesLaterIsImpossible) {
  StartSession();
  EXPECT_GE(Lookup(t_ + 5 * kMinute, "105.128.7.9", 3), 85);
  ASSERT_EQ(sink_.Opened().size(), 1u);
  EXPECT_THAT(sink_.Opened()[0].message(), HasSubstr("impossible travel"));
}

// The world's other phenomena (tools/simulate/world.h), each as the
// account under test would live it: none opens an incident, none reaches
// the high tier.
TEST_F(SessionMoveTest, OrdinaryNetworkLifeOpensNoIncident) {
  double top = 0;
  auto login = [&](int64_t t, const char* ip, uint64_t agent = 77) {
    Event e = Make(t, 7, Ip(ip), Action::kLogin);
    e.user_agent_hash = agent;
    top = std::max(top, detector_->Observe(e));
  };
  auto lookup = [&](int64_t t, const char* ip, uint64_t subject) {
    top = std::max(top, Lookup(t, ip, subject));
  };
  int64_t t = t_;
  // Carrier NAT per connection: a session on 4G, each request from
  // another address of Free Mobile's pool.
  login(t, "37.165.10.1");
  lookup(t + kMinute, "37.170.200.7", 1);
  lookup(t + 2 * kMinute, "37.164.3.99", 2);
  // A commercial VPN (Datacamp's Paris exits), first use.
  t += 3 * 3600 * kSec;
  login(t, "156.146.63.20");
  lookup(t + kMinute, "156.146.63.20", 3);
  // A second site: the hospital (research network) on Tuesday.
  t += 3 * 3600 * kSec;
  login(t, "193.48.2.9");
  lookup(t + kMinute, "193.48.2.17", 4);  // Its NAT pool's neighbour.
  // A new laptop at home.
  t += 3 * 3600 * kSec;
  login(t, "90.0.12.34", 99);
  lookup(t + kMinute, "90.0.12.34", 5);
  // On call at 3 am, from home.
  t += 12 * 3600 * kSec;
  login(t, "90.0.12.34");
  lookup(t + kMinute, "90.0.12.34", 6);
  // The ISP renumbers the line; the household's IPv6 comes and goes.
  t += 6 * 3600 * kSec;
  login(t, "217.128.40.2");
  lookup(t + kMinute, "2a01:cb00:77:1::5", 7);
  lookup(t + 2 * kMinute, "217.128.40.2", 8);
  EXPECT_TRUE(sink_.Opened().empty());
  EXPECT_LT(top, 60);
}

// An operator's own hosting list: a move into such an AS weighs as a move
// into a data centre.
TEST(SessionMoveOptions, TheOperatorsHostingAsnsCount) {
  for (bool listed : {false, true}) {
    DetectorOptions options;
    options.location_database = kDatabase;
    options.max_state_bytes = size_t{32} << 20;
    if (listed) options.hosting_asns = {64500, 51207};  // Free Mobile, here.
    Sink sink;
    auto detector = Detector::Create(
                        options,
                        [](uint32_t a) { return absl::StrCat("acct", a); },
                        &sink)
                        .value();
    Event e;
    e.account = 7;
    e.action = Action::kLogin;
    e.outcome = Outcome::kSuccess;
    e.user_agent_hash = 77;
    e.ip = Ip("90.0.12.34");
    for (int d = 0; d < 5; ++d) {
      e.time_ms = kT0 + d * 3600 * kSec;
      detector->Observe(e);
    }
    e.action = Action::kLookup;
    e.subject = 1;
    e.subject_flags = kSubjectPresent;
    e.ip = Ip("37.166.4.9");
    e.time_ms += kMinute;
    // 25 + the rarity a population of 5 logins can claim (none), + 25
    // when listed.
    EXPECT_EQ(detector->Observe(e), listed ? 50 : 25);
  }
}

TEST_F(SessionMoveTest, StolenSessionReplayedFromAbroadOpens) {
  StartSession();
  EXPECT_GE(Lookup(t_ + 5 * kMinute, "80.24.77.1", 3), 60);  // Telefonica, ES.
  ASSERT_EQ(sink_.Opened().size(), 1u);
  EXPECT_THAT(sink_.Opened()[0].message(), HasSubstr("another country (ES)"));
}

// Before the damage: a session whose login came from a new country
// carries that risk. Its first export past the daily floor is an incident
// and Observe returns a high risk on that very export; a small export is
// medium (returned for the portal to ask for a second factor), no
// incident.
TEST_F(SessionMoveTest, BulkExportInASessionFromANewCountryIsStoppedAtOnce) {
  detector_->Observe(Make(t_, 7, Ip("80.24.77.1"), Action::kLogin));  // ES.
  EXPECT_TRUE(sink_.Opened().empty());
  Event small = Make(t_ + kMinute, 7, Ip("80.24.77.1"), Action::kExport);
  small.has_records = true;
  small.records = 12;
  const double medium = detector_->Observe(small);
  EXPECT_GE(medium, 40);
  EXPECT_LT(medium, 60);
  EXPECT_TRUE(sink_.Opened().empty());
  Event bulk = Make(t_ + 2 * kMinute, 7, Ip("80.24.77.1"), Action::kExport);
  bulk.has_records = true;
  bulk.records = 600;  // Past the 500-a-day floor, 53 on its own.
  EXPECT_GE(detector_->Observe(bulk), 60);
  ASSERT_EQ(sink_.Opened().size(), 1u);
  EXPECT_THAT(sink_.Opened()[0].message(),
              HasSubstr("in a session whose login was already risky"));
}

// A login from the account's own line: its exports carry nothing, and
// the same 600 records stay below an incident.
TEST_F(SessionMoveTest, ExportInAnOrdinarySessionCarriesNothing) {
  detector_->Observe(Make(t_, 7, Ip("90.0.12.34"), Action::kLogin));
  Event e = Make(t_ + kMinute, 7, Ip("90.0.12.34"), Action::kExport);
  e.has_records = true;
  e.records = 12;
  EXPECT_EQ(detector_->Observe(e), 0);
  e.time_ms += kMinute;
  e.records = 600;
  EXPECT_LT(detector_->Observe(e), 60);
  EXPECT_TRUE(sink_.Opened().empty());
}

}  // namespace
}  // namespace vigie
