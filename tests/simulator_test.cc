// The simulator: deterministic, time-ordered, valid NIRs, every campaign
// planted and labelled.
#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "detector/ingest/nir.h"
#include "detector/internal/stable_hash.h"
#include "gtest/gtest.h"
#include "tools/simulate/nir_generator.h"
#include "tools/simulate/simulator.h"

namespace vigie {
namespace simulate {
namespace {

struct Digest {
  uint64_t hash = 0;
  int64_t events = 0;
  bool ordered = true;
  int64_t last_ms = INT64_MIN;
  int64_t invalid_keys = 0;
  int64_t not_found = 0;
  int64_t lookups = 0;
  std::map<std::string, int64_t> professions;
};

Digest Simulated(const SimulationOptions& options, SimulationResult* result) {
  Digest d;
  absl::StatusOr<SimulationResult> r =
      Simulate(options, [&d](const AccessRecord& record) {
        std::string line = absl::StrCat(
            record.time_ms, "|", record.account, "|", record.ip.ToString(),
            "|", static_cast<int>(record.action), "|",
            static_cast<int>(record.outcome), "|", record.subject, "|",
            record.records, "|", record.user_agent, "|", record.service, "|",
            record.profession);
        d.hash = internal::StableHash64(line, d.hash);
        ++d.events;
        if (record.time_ms < d.last_ms) d.ordered = false;
        d.last_ms = record.time_ms;
        if (record.action == Action::kLookup) {
          ++d.lookups;
          NirInfo nir = AnalyseNir(record.subject);
          EXPECT_TRUE(nir.is_nir && nir.key_present);
          if (!nir.key_valid) ++d.invalid_keys;
          if (record.outcome == Outcome::kNotFound) ++d.not_found;
          // Only "not found" lookups may carry an invalid key.
          if (!nir.key_valid) {
            EXPECT_EQ(record.outcome, Outcome::kNotFound);
          }
        }
        if (!record.profession.empty()) ++d.professions[std::string(record.profession)];
        return absl::OkStatus();
      });
  EXPECT_TRUE(r.ok()) << r.status();
  if (r.ok() && result != nullptr) *result = *r;
  return d;
}

SimulationOptions Small(uint64_t seed) {
  SimulationOptions options;
  options.accounts = 300;
  options.days = 2;
  options.seed = seed;
  return options;
}

TEST(Simulator, SameSeedGivesTheSameEvents) {
  Digest a = Simulated(Small(7), nullptr);
  Digest b = Simulated(Small(7), nullptr);
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_EQ(a.events, b.events);
  EXPECT_GT(a.events, 10000);
}

TEST(Simulator, DifferentSeedsGiveDifferentEvents) {
  EXPECT_NE(Simulated(Small(1), nullptr).hash, Simulated(Small(2), nullptr).hash);
}

TEST(Simulator, EmitsEventsInTimeOrder) {
  EXPECT_TRUE(Simulated(Small(3), nullptr).ordered);
}

TEST(Simulator, LookupsCarryValidNirsExceptSomeNotFound) {
  Digest d = Simulated(Small(4), nullptr);
  EXPECT_GT(d.lookups, 0);
  EXPECT_GT(d.not_found, 0);
  EXPECT_GT(d.invalid_keys, 0);
  EXPECT_LT(d.invalid_keys, d.not_found);
}

TEST(Simulator, PopulationMixesProfessions) {
  Digest d = Simulated(Small(5), nullptr);
  for (const char* p :
       {"gp", "specialist", "pharmacist", "nurse", "hospital_desk", "service"}) {
    EXPECT_GT(d.professions[p], 0) << p;
  }
}

TEST(Simulator, PlantsAndLabelsEveryCampaignKind) {
  SimulationResult result;
  Simulated(Small(6), &result);
  std::set<std::string> kinds;
  for (const CampaignLabel& c : result.campaigns) {
    kinds.insert(c.kind);
    EXPECT_GT(c.events, 0) << c.id;
    EXPECT_FALSE(c.accounts.empty()) << c.id;
    EXPECT_FALSE(c.ips.empty()) << c.id;
    EXPECT_LE(c.start_ms, c.end_ms) << c.id;
    // Day 0 is a benign learning day.
    EXPECT_GE(c.start_ms, result.options.start_time_ms + 86400000) << c.id;
  }
  EXPECT_EQ(kinds, (std::set<std::string>{
                       "chained_lookup", "low_and_slow", "credential_stuffing",
                       "password_spray", "brute_force", "bulk_export",
                       "session_hijack"}));
  std::set<std::string> traps;
  for (const BenignTrap& t : result.benign_traps) traps.insert(t.kind);
  for (const char* kind : {"hospital_nat", "mobile", "pharmacist",
                           "service_account", "night_shift"}) {
    EXPECT_TRUE(traps.count(kind)) << kind;
  }
}

// Every phenomenon of every named world happens and is labelled, in a
// population big enough for the rare ones.
TEST(Simulator, EveryWorldLabelsItsPhenomena) {
  for (const std::string& name : WorldNames()) {
    SimulationOptions options;
    options.accounts = 1500;
    options.days = 5;
    options.seed = 3;
    options.world = NamedWorld(name).value();
    SimulationResult result;
    Simulated(options, &result);
    std::set<std::string> traps;
    for (const BenignTrap& t : result.benign_traps) traps.insert(t.kind);
    for (const char* kind :
         {"roaming_session", "dual_stack", "ipv6_privacy",
          "cgnat_per_connection", "mobile", "isp_renumbering", "vpn",
          "multi_site", "shared_practice", "hospital_nat", "traveller",
          "night_on_call", "new_device"}) {
      EXPECT_TRUE(traps.count(kind)) << name << ": " << kind;
    }
  }
}

TEST(Simulator, SwitchedOffPhenomenaDoNotHappen) {
  SimulationOptions options = Small(4);
  options.days = 3;
  ASSERT_TRUE(SetWorldParameter("roaming_session", "0", &options.world).ok());
  ASSERT_TRUE(SetWorldParameter("vpn_share", "0", &options.world).ok());
  SimulationResult result;
  Simulated(options, &result);
  for (const BenignTrap& t : result.benign_traps) {
    EXPECT_NE(t.kind, "roaming_session");
    EXPECT_NE(t.kind, "vpn");
  }
}

TEST(Simulator, WorldParametersAreChecked) {
  World world;
  EXPECT_FALSE(NamedWorld("lunar_base").ok());
  EXPECT_FALSE(SetWorldParameter("roaming_session", "1.5", &world).ok());
  EXPECT_FALSE(SetWorldParameter("roaming_session", "x", &world).ok());
  EXPECT_FALSE(SetWorldParameter("no_such_thing", "0", &world).ok());
  EXPECT_FALSE(SetWorldParameter("hospital_nat_pool", "0", &world).ok());
  EXPECT_TRUE(SetWorldParameter("hospital_nat_pool", "16", &world).ok());
  EXPECT_EQ(world.hospital_nat_pool, 16);
}

TEST(Simulator, NoCampaignsMeansNoAttackEvents) {
  SimulationOptions options = Small(8);
  options.campaigns = false;
  SimulationResult result;
  Simulated(options, &result);
  EXPECT_TRUE(result.campaigns.empty());
  EXPECT_EQ(result.attack_events, 0);
}

TEST(Simulator, LabelsHoldNoSubject) {
  SimulationResult result;
  std::set<std::string> subjects;
  absl::StatusOr<SimulationResult> r =
      Simulate(Small(9), [&](const AccessRecord& record) {
        if (!record.subject.empty() && subjects.size() < 5000) {
          subjects.insert(std::string(record.subject));
        }
        return absl::OkStatus();
      });
  ASSERT_TRUE(r.ok());
  std::string json = LabelsToJson(*r);
  EXPECT_NE(json.find("\"chained_lookup-1\""), std::string::npos);
  for (const std::string& s : subjects) {
    EXPECT_EQ(json.find(s.substr(0, 13)), std::string::npos);
  }
}

TEST(Simulator, RejectsEmptyPopulations) {
  SimulationOptions options;
  options.accounts = 0;
  EXPECT_EQ(Simulate(options, [](const AccessRecord&) {
              return absl::OkStatus();
            }).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Simulator, StopsAtTheCallbacksError) {
  int calls = 0;
  absl::StatusOr<SimulationResult> r =
      Simulate(Small(1), [&calls](const AccessRecord&) {
        return ++calls == 10 ? absl::UnavailableError("disk full")
                             : absl::OkStatus();
      });
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(calls, 10);
}

TEST(NirGenerator, PersonNirsHaveValidKeysAndVary) {
  std::set<std::string> seen;
  for (int64_t person = 0; person < 20000; ++person) {
    char nir[15];
    PersonNir(1, person, nir);
    NirInfo info = AnalyseNir(absl::string_view(nir, 15));
    ASSERT_TRUE(info.is_nir) << std::string(nir, 15);
    ASSERT_TRUE(info.key_valid) << std::string(nir, 15);
    seen.insert(std::string(nir, 15));
  }
  EXPECT_GT(seen.size(), 19900u);
}

TEST(NirGenerator, SweepsKeepThePrefixAndStepTheOrder) {
  char a[15], b[15], bad[15];
  SweepNir(1, 42, 100, true, a);
  SweepNir(1, 42, 101, true, b);
  SweepNir(1, 42, 101, false, bad);
  NirInfo ia = AnalyseNir(absl::string_view(a, 15));
  NirInfo ib = AnalyseNir(absl::string_view(b, 15));
  NirInfo ibad = AnalyseNir(absl::string_view(bad, 15));
  EXPECT_EQ(std::string(ia.prefix, 10), std::string(ib.prefix, 10));
  EXPECT_EQ(ia.order, 100);
  EXPECT_EQ(ib.order, 101);
  EXPECT_TRUE(ia.key_valid && ib.key_valid);
  EXPECT_TRUE(ibad.is_nir);
  EXPECT_FALSE(ibad.key_valid);
}

}  // namespace
}  // namespace simulate
}  // namespace vigie
