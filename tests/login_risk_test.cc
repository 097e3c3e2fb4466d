// Login risk (signal family 2) at the level of one login: which sessions
// count as "from somewhere unlikely" for the lookup cues, judged by the
// likelihood ratio of Freeman et al. against the portal's own 99th
// percentile, and the population's percentiles kept across a snapshot.
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>

#include "detector/detector_options.h"
#include "detector/engine/entity_state.h"
#include "detector/engine/login_population.h"
#include "detector/event.h"
#include "detector/signals/login_risk.h"
#include "detector/stats/novelty_filter.h"
#include "detector/stats/state_codec.h"
#include "gtest/gtest.h"

namespace vigie {
namespace {

constexpr uint32_t kFrance = ('F' << 8) | 'R';
constexpr int64_t kHourMs = 3'600'000;

// Accounts logging in from their usual places through one population and
// one novelty filter, as the engine does, learning the benign ratios.
class LoginWorld {
 public:
  LoginWorld()
      : novelty_(NoveltyFilter::Create(NoveltyFilter::Options()).value()) {}

  // A successful login of `account` from `ip` in `asn`; returns whether
  // its session counts as unlikely for the account.
  bool Login(uint32_t account, uint32_t ip, uint32_t asn, bool learn = true) {
    Event e;
    e.time_ms = (time_ += kHourMs);
    e.account = account;
    e.ip = IpAddress::FromV4(ip);
    e.action = Action::kLogin;
    e.outcome = Outcome::kSuccess;
    e.user_agent_hash = 1000 + account;
    LoginOrigin origin;
    origin.country = kFrance;
    origin.asn = asn;
    origin.keys = LoginKeysOf(e, kFrance, asn);
    origin.population = population_.ObserveLogin(origin.keys);
    origin.ratio_top = population_.ratio_top();
    origin.ratio_p99 = population_.ratio_p99();
    origin.ratio_warm = population_.ratio_warm();
    engine::AccountState& a = accounts_[account];
    double log10_ratio = 0;
    ObserveSuccessfulLogin(e, options_, origin, *novelty_, a, &log10_ratio);
    if (learn && std::isfinite(log10_ratio)) {
      population_.LearnRatio(log10_ratio);
    }
    population_.Refresh();
    return a.login_unlikely;
  }
  engine::LoginPopulation& population() { return population_; }

 private:
  DetectorOptions options_;
  std::unique_ptr<NoveltyFilter> novelty_;
  engine::LoginPopulation population_;
  engine::AccountState accounts_[400];
  int64_t time_ = 1'646'900'000'000;
};

// 300 accounts on fixed lines of four providers, 100 behind a mobile
// carrier's NAT (a new /24 of the same AS at every login).
void LearnOrdinaryLogins(LoginWorld& world) {
  for (int round = 0; round < 12; ++round) {
    for (uint32_t account = 0; account < 400; ++account) {
      if (account < 300) {
        const uint32_t asn = 100 + account % 4;
        world.Login(account, 0x0a000000 + account * 256 + 7, asn);
      } else {
        world.Login(account, 0x25000000 + (account * 12 + round) * 256 + 9,
                    51207);
      }
    }
  }
}

TEST(LoginRisk, ACarriersNextBlockIsLikelyAnotherProviderIsNot) {
  LoginWorld world;
  LearnOrdinaryLogins(world);
  ASSERT_TRUE(world.population().ratio_warm());
  // The NAT's next block: a network the account never used, in its AS.
  EXPECT_FALSE(world.Login(350, 0x25ff0000 + 9, 51207, false));
  // A line account's first login from another provider's network.
  EXPECT_TRUE(world.Login(10, 0x5a000000 + 77, 103, false));
  // A line account back on its line.
  EXPECT_FALSE(world.Login(11, 0x0a000000 + 11 * 256 + 7, 103, false));
}

TEST(LoginRisk, UntilThePortalKnowsItsRatiosANewNetworkCounts) {
  LoginWorld world;
  for (int round = 0; round < 4; ++round) {
    world.Login(1, 0x0a000107, 100);
  }
  ASSERT_FALSE(world.population().ratio_warm());
  EXPECT_FALSE(world.Login(1, 0x0a000107, 100));
  EXPECT_TRUE(world.Login(1, 0x0b000107, 100));
}

// The 99th percentile is frozen with the 99.9th and saved with it; a
// snapshot from before it (format 2) reads it from the restored sketch.
TEST(LoginRisk, ThePopulationsPercentilesSurviveASnapshot) {
  LoginWorld world;
  LearnOrdinaryLogins(world);
  const engine::LoginPopulation& population = world.population();
  StateWriter w;
  population.Encode(w);
  engine::LoginPopulation restored;
  StateReader r(w.data());
  ASSERT_TRUE(restored.Decode(r));
  EXPECT_EQ(restored.ratio_p99(), population.ratio_p99());
  EXPECT_EQ(restored.ratio_top(), population.ratio_top());
  // Format 2: no 99th percentile after the 99.9th. After a refresh the
  // epoch's AS log is empty, so the tail is: top, p99, the ratio count at
  // refresh, the frozen AS logins, the number of logged keys (0).
  const std::string& v3 = w.data();
  const size_t p99_at = v3.size() - 4 * sizeof(uint64_t);
  std::string v2 = v3.substr(0, p99_at) + v3.substr(p99_at + sizeof(double));
  v2[0] = 2;
  engine::LoginPopulation older;
  StateReader r2(v2);
  ASSERT_TRUE(older.Decode(r2));
  EXPECT_EQ(older.ratio_top(), population.ratio_top());
  EXPECT_NEAR(older.ratio_p99(), population.ratio_p99(), 1e-9);
  std::string newer = v3;
  newer[0] = 4;
  engine::LoginPopulation refused;
  StateReader r4(newer);
  EXPECT_FALSE(refused.Decode(r4));
}

}  // namespace
}  // namespace vigie
