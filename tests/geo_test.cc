// Where logins come from: the libloc wrapper against Debian's location
// database, country distances for impossible travel, the paper's smoothing,
// and the login-risk scenarios that need a location (impossible travel, a
// traveller abroad) through the whole detector.
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detector/detector.h"
#include "detector/engine/login_population.h"
#include "detector/geo/country_positions.h"
#include "detector/geo/hosting_networks.h"
#include "detector/geo/location_database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigie {
namespace {

using ::testing::HasSubstr;

// Installed by scripts/install-deps.sh (package libloc-database).
constexpr char kDatabase[] = "/var/lib/location/database.db";

IpAddress Ip(const char* text) { return IpAddress::Parse(text).value(); }

TEST(LocationDatabase, FindsCountryAndAutonomousSystem) {
  auto db = LocationDatabase::Open(kDatabase);
  ASSERT_TRUE(db.ok()) << db.status();
  // RENATER, the French research network (hospital and university NATs).
  Location renater = (*db)->Lookup(Ip("193.51.24.1"));
  EXPECT_EQ(CountryString(renater.country), "FR");
  EXPECT_EQ(renater.asn, 2200u);
  // Orange France over IPv6.
  Location orange = (*db)->Lookup(Ip("2a01:cb00::1"));
  EXPECT_EQ(CountryString(orange.country), "FR");
  EXPECT_EQ(orange.asn, 3215u);
  // Private and documentation addresses have no location.
  Location lan = (*db)->Lookup(Ip("10.1.2.3"));
  EXPECT_EQ(lan.country, 0);
  EXPECT_EQ(lan.asn, 0u);
}

TEST(LocationDatabase, FlagsAnonymousProxies) {
  auto db = LocationDatabase::Open(kDatabase);
  ASSERT_TRUE(db.ok()) << db.status();
  // A Tor exit network, flagged A1 in the database; Orange is not.
  EXPECT_TRUE((*db)->Lookup(Ip("185.220.101.1")).anonymous);
  EXPECT_FALSE((*db)->Lookup(Ip("90.0.1.1")).anonymous);
}

TEST(HostingNetworks, KnowsTheLargeProvidersAndTheOperatorsOwn) {
  EXPECT_TRUE(IsHostingAs(16276));   // OVH.
  EXPECT_TRUE(IsHostingAs(24940));   // Hetzner.
  EXPECT_TRUE(IsHostingAs(212238));  // Datacamp (VPN exits).
  EXPECT_FALSE(IsHostingAs(3215));   // Orange.
  EXPECT_FALSE(IsHostingAs(35540));  // OVH's telecom arm: a consumer ISP.
  EXPECT_FALSE(IsHostingAs(13335));  // Cloudflare (WARP users browse).
  EXPECT_FALSE(IsHostingAs(0));
  EXPECT_TRUE(IsHostingAs(64500, {64496, 64500}));
  EXPECT_FALSE(IsHostingAs(64501, {64496, 64500}));
}

TEST(LocationDatabase, MissingOrForeignFilesAreErrors) {
  EXPECT_EQ(LocationDatabase::Open("/nonexistent/location.db").status().code(),
            absl::StatusCode::kNotFound);
  const std::string junk = ::testing::TempDir() + "/not-a-location.db";
  std::ofstream(junk) << "this is not a libloc database\n";
  EXPECT_EQ(LocationDatabase::Open(junk).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(CountryPositions, NeighboursAreReachableContinentsAreNot) {
  EXPECT_EQ(TravelDistanceKm(CountryCode("FR"), CountryCode("FR")), 0.0);
  EXPECT_EQ(TravelDistanceKm(CountryCode("FR"), CountryCode("BE")), 0.0);
  const double au = TravelDistanceKm(CountryCode("FR"), CountryCode("AU")).value();
  EXPECT_GT(au, 10000);
  EXPECT_LT(au, 17000);
  EXPECT_EQ(TravelDistanceKm(CountryCode("FR"), 0), std::nullopt);
  EXPECT_EQ(TravelDistanceKm(CountryCode("FR"), CountryCode("ZZ")),
            std::nullopt);
}

TEST(LoginPopulation, SmoothingFollowsThePaper) {
  // Seen c = 30 times in n = 100 logins with m = 4 values one level up:
  // (30/100)(1 - 4/104); unseen: 1/(100 + 4).
  EXPECT_DOUBLE_EQ(engine::SmoothedProbability(30, 100, 4),
                   0.3 * (1 - 4.0 / 104));
  EXPECT_DOUBLE_EQ(engine::SmoothedProbability(0, 100, 4), 1.0 / 104);
  engine::LoginPopulation population;
  engine::LoginKeys common{11, 12, 13, 14, 15};
  for (int i = 0; i < 999; ++i) population.ObserveLogin(common);
  const engine::PopulationOdds seen = population.ObserveLogin(common);
  const engine::PopulationOdds rare =
      population.ObserveLogin({21, 22, 13, 14, 25});
  EXPECT_GT(seen[engine::kLoginAddress], -0.01);
  EXPECT_LT(rare[engine::kLoginAddress], -2.9);  // ~1/1000.
  EXPECT_GT(rare[engine::kLoginCountry], -0.01);  // Same country.
}

class GeoDetectorTest : public ::testing::Test {
 protected:
  void Create(const std::string& database) {
    options_.location_database = database;
    detector_ = Detector::Create(
                    options_, [](uint32_t a) { return absl::StrCat("acct", a); },
                    &sink_)
                    .value();
  }
  void Login(int64_t t, uint32_t account, const char* ip, uint64_t agent = 77) {
    Event e;
    e.time_ms = t;
    e.account = account;
    e.ip = Ip(ip);
    e.action = Action::kLogin;
    e.outcome = Outcome::kSuccess;
    e.profession = 1;
    e.user_agent_hash = agent;
    detector_->Observe(e);
  }
  std::vector<v1::Alert> Opened() const {
    std::vector<v1::Alert> out;
    for (const v1::Alert& a : sink_.alerts) {
      if (a.incident_state() == v1::INCIDENT_OPENED) out.push_back(a);
    }
    return out;
  }
  struct Collect : AlertSink {
    void Emit(const v1::Alert& a) override { alerts.push_back(a); }
    std::vector<v1::Alert> alerts;
  };
  static constexpr int64_t kT0 = 1646900000000;
  static constexpr int64_t kHour = 3600 * 1000;
  DetectorOptions options_;
  Collect sink_;
  std::unique_ptr<Detector> detector_;
};

TEST_F(GeoDetectorTest, ImpossibleTravelFromFranceToAustraliaInAnHour) {
  Create(kDatabase);
  for (int day = 0; day < 5; ++day) Login(kT0 + day * 24 * kHour, 1, "193.51.24.1");
  // One hour after the last French login: a Sydney address, new browser.
  Login(kT0 + 4 * 24 * kHour + kHour, 1, "203.2.218.214", 99);
  ASSERT_EQ(Opened().size(), 1u);
  const v1::Alert a = Opened()[0];
  EXPECT_EQ(a.rule_name(), "login_risk");
  EXPECT_THAT(a.message(), HasSubstr("impossible travel"));
  EXPECT_THAT(a.message(), HasSubstr("from a country this account never used (AU)"));
  EXPECT_EQ(a.recommended_action(), v1::FORCE_PASSWORD_RESET);
}

TEST_F(GeoDetectorTest, TravellerAbroadAfterAFlightDoesNotAlert) {
  Create(kDatabase);
  for (int day = 0; day < 5; ++day) Login(kT0 + day * 24 * kHour, 1, "193.51.24.1");
  // 30 hours later from Sydney, same laptop: a new country, not impossible.
  Login(kT0 + 4 * 24 * kHour + 30 * kHour, 1, "203.2.218.214");
  EXPECT_TRUE(Opened().empty());
}

TEST_F(GeoDetectorTest, WorksWithoutADatabaseAndRefusesAMissingOne) {
  Create("");
  for (int day = 0; day < 5; ++day) Login(kT0 + day * 24 * kHour, 1, "193.51.24.1");
  Login(kT0 + 4 * 24 * kHour + kHour, 1, "203.2.218.214", 99);
  // New address, network and agent: 50, below the threshold; no travel.
  EXPECT_TRUE(Opened().empty());
  options_.location_database = "/nonexistent/location.db";
  EXPECT_EQ(Detector::Create(options_, [](uint32_t) { return ""; }, &sink_)
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace vigie
