// The simulator's machinery, shared by its three parts: simulator.cc (the
// population, event construction and output), benign_traffic.cc (a benign
// account's day under the world's phenomena) and campaigns.cc (the planted
// attacks). Not part of the simulator's interface (simulator.h).
//
// Thread-compatible: one Simulator per run.
#ifndef VIGIE_TOOLS_SIMULATE_SIMULATOR_INTERNAL_H_
#define VIGIE_TOOLS_SIMULATE_SIMULATOR_INTERNAL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "detector/event.h"
#include "detector/ip_address.h"
#include "tools/simulate/networks.h"
#include "tools/simulate/random.h"
#include "tools/simulate/simulator.h"

namespace vigie {
namespace simulate {
namespace internal {

constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

enum Profession {
  kGp,
  kSpecialist,
  kPharmacist,
  kNurse,
  kHospitalDesk,
  kService,
  kNumProfessions
};

enum Service { kPortal, kPatientLookup, kCoverage, kExport, kNumServices };

constexpr int kNumBrowsers = 4;
constexpr int kVersionsPerBrowser = 4;
constexpr int kServiceAgent = kNumBrowsers * kVersionsPerBrowser;

// The benign phenomena an account took part in (labels.json's traps).
enum Trap : uint32_t {
  kTrapPharmacist,
  kTrapServiceAccount,
  kTrapNightShift,
  kTrapHospitalNat,
  kTrapTraveller,
  kTrapRoamingSession,
  kTrapDualStack,
  kTrapIpv6Privacy,
  kTrapCgnatPerConnection,
  kTrapMobile,
  kTrapIspRenumbering,
  kTrapVpn,
  kTrapMultiSite,
  kTrapSharedPractice,
  kTrapNightOnCall,
  kTrapNewDevice,
  kNumTraps
};
const char* TrapName(Trap trap);

struct Account {
  std::string name;
  Profession profession = kGp;
  int64_t start_offset_ms = 0;  // Working day start after midnight.
  int64_t end_offset_ms = 0;    // May exceed a day (night shift).
  double daily_median = 0;
  double gap_mean_s = 0;
  double new_person_share = 0;
  bool works_weekends = false;
  bool night_shift = false;
  bool mobile = false;  // Some sessions on the phone's mobile data.
  bool vpn = false;     // Some sessions through a commercial VPN.
  int browser = 0;
  int version = 0;
  int64_t panel_base = 0;
  int64_t panel_size = 0;
  // Networks: the main line (home or practice), an optional second line,
  // the line's IPv6 /64 (0: IPv4 only) and current temporary interface id.
  int isp = 0;
  int carrier = 0;
  IpAddress line;
  bool has_second = false;
  IpAddress second;
  uint64_t v6_prefix = 0;
  uint64_t v6_iid = 0;
  int64_t hospital = -1;  // Desk or second site: the hospital's index.
  uint32_t traps = 0;     // Bits of Trap.
};

struct SimEvent {
  int64_t time_ms;
  uint64_t sequence;
  int32_t name;      // Index into names_.
  int16_t campaign;  // -1: benign.
  uint8_t agent;
  uint8_t service;
  IpAddress ip;
  Action action;
  Outcome outcome;
  bool has_subject;
  bool has_records;
  uint32_t records;
  char nir[15];
};

class Simulator {
 public:
  Simulator(const SimulationOptions& options, const EventCallback& callback);
  absl::StatusOr<SimulationResult> Run();

 private:
  // simulator.cc: population.
  void CreatePopulation();
  void CreateAccount(int64_t index, IpAddress* practice, int* practice_left);
  int32_t AddName(std::string name, int profession);
  std::string NewLogin();
  // A fixed line of any ISP (a stranger's, or a residential proxy's).
  IpAddress ResidentialIp() {
    return Networks::FixedLineV4(Networks::RandomIsp(random_), random_);
  }
  // One of the hospital's NAT pool.
  IpAddress HospitalAddress(int64_t hospital) {
    return Networks::HospitalNat(
        hospital, static_cast<int>(random_.Below(world_.hospital_nat_pool)));
  }
  void Mark(Account& a, Trap trap) { a.traps |= 1u << trap; }
  void EmitTraps();

  // simulator.cc: events.
  SimEvent& Add(int64_t time_ms, int32_t name, const IpAddress& ip,
                Action action, Outcome outcome, int agent, Service service,
                int16_t campaign);
  void Lookup(int64_t time_ms, int32_t name, const IpAddress& ip, int agent,
              int64_t person, bool not_found, int16_t campaign);
  int AgentOf(const Account& a) const;
  int64_t Login(int64_t t, int32_t name, const IpAddress& ip, int agent,
                int16_t campaign);
  int64_t PanelPerson(const Account& a);
  absl::Status EmitUntil(int64_t end_ms);

  // benign_traffic.cc.
  struct Session;
  void BenignDay(size_t index, int64_t day, int64_t day_start);
  void StartOfDay(Account& a, int64_t day);
  void BenignSession(size_t index, int64_t t, int64_t lookups,
                     const IpAddress* abroad, bool at_hospital);
  IpAddress SessionStart(Account& a, Session& s, const IpAddress* abroad,
                         bool at_hospital);
  IpAddress NextRequest(Account& a, Session& s);
  IpAddress LineAddress(const Account& a, bool v6) const;

  // campaigns.cc.
  int16_t NewCampaign(const std::string& kind);
  void Label(int16_t c, const std::string& account, const IpAddress& ip);
  int32_t PickVictim(std::initializer_list<Profession> professions);
  void PlanCampaigns();
  template <typename F>
  void At(int64_t day, F&& body) {
    campaign_days_.emplace_back(day, std::forward<F>(body));
  }
  void PlanChainedLookups(int64_t day);
  void PlanLowAndSlow(int64_t first_day, int64_t last_day);
  void PlanCredentialStuffing(int64_t day);
  void PlanPasswordSpray(int64_t day);
  void PlanBruteForce(int64_t day);
  void PlanBulkExport(int64_t day);
  void PlanSessionHijack(int64_t day);

  const SimulationOptions& options_;
  const World& world_;
  const EventCallback& callback_;
  Random random_;
  const uint64_t population_;
  std::vector<std::string> agents_;
  std::vector<Account> accounts_;
  std::vector<std::string> names_;
  std::vector<int> name_profession_;
  std::map<std::string, int> login_counts_;
  std::map<size_t, bool> victims_;
  std::map<std::string, int> campaign_counts_;
  int64_t hospitals_ = 0;
  std::vector<std::pair<int64_t, std::function<void(int64_t)>>> campaign_days_;
  std::vector<SimEvent> buffer_;
  uint64_t sequence_ = 0;
  SimulationResult result_;
};

}  // namespace internal
}  // namespace simulate
}  // namespace vigie

#endif  // VIGIE_TOOLS_SIMULATE_SIMULATOR_INTERNAL_H_
