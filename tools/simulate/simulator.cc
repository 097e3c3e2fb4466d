#include "tools/simulate/simulator.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "detector/ingest/time_format.h"
#include "detector/internal/json_writer.h"
#include "tools/simulate/nir_generator.h"
#include "tools/simulate/random.h"

namespace vigie {
namespace simulate {
namespace {

constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

enum Profession { kGp, kSpecialist, kPharmacist, kNurse, kHospitalDesk, kService,
                  kNumProfessions };
constexpr const char* kProfessionNames[] = {"gp",    "specialist",
                                            "pharmacist", "nurse",
                                            "hospital_desk", "service"};

enum Service { kPortal, kPatientLookup, kCoverage, kExport, kNumServices };
constexpr const char* kServiceNames[] = {"portal", "patient_lookup", "coverage",
                                         "export"};

constexpr const char* kFirstNames[] = {
    "marie", "jean", "sophie", "pierre", "nathalie", "michel", "isabelle",
    "philippe", "catherine", "alain", "sylvie", "nicolas", "christine",
    "david", "sandrine", "eric", "valerie", "laurent", "celine", "thomas",
    "julie", "olivier", "aurelie", "julien", "camille", "antoine", "claire",
    "mathieu", "emilie", "sebastien", "lea", "hugo", "manon", "lucas",
    "chloe", "karim", "fatima", "mehdi", "yasmine", "paul"};
constexpr const char* kLastNames[] = {
    "martin", "bernard", "thomas", "petit", "robert", "richard", "durand",
    "dubois", "moreau", "laurent", "simon", "michel", "lefebvre", "leroy",
    "roux", "david", "bertrand", "morel", "fournier", "girard", "bonnet",
    "dupont", "lambert", "fontaine", "rousseau", "vincent", "muller",
    "lefevre", "faure", "andre", "mercier", "blanc", "guerin", "boyer",
    "garnier", "chevalier", "francois", "legrand", "gauthier", "garcia"};

// Browser families with a printf pattern taking the major version.
struct BrowserFamily {
  const char* pattern;
  int first_version;
};
constexpr BrowserFamily kBrowsers[] = {
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
     "like Gecko) Chrome/%d.0.0.0 Safari/537.36",
     97},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:%d.0) Gecko/20100101 "
     "Firefox/%d.0",
     96},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
     "(KHTML, like Gecko) Version/15.%d Safari/605.1.15",
     2},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
     "like Gecko) Chrome/%d.0.0.0 Safari/537.36 Edg/%d.0.1108.55",
     97},
};
constexpr int kNumBrowsers = 4;
constexpr int kVersionsPerBrowser = 4;
constexpr int kServiceAgent = kNumBrowsers * kVersionsPerBrowser;

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
  bool mobile = false;  // Sometimes on carrier-grade NAT.
  int browser = 0;
  int version = 0;
  int64_t panel_base = 0;
  int64_t panel_size = 0;
  std::vector<IpAddress> ips;
};

struct SimEvent {
  int64_t time_ms;
  uint64_t sequence;
  int32_t name;  // Index into names_.
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
  Simulator(const SimulationOptions& options, const EventCallback& callback)
      : options_(options),
        callback_(callback),
        random_(options.seed),
        population_(std::max<int64_t>(200000, options.accounts * 400)) {
    for (int b = 0; b < kNumBrowsers; ++b) {
      for (int v = 0; v < kVersionsPerBrowser; ++v) {
        int version = kBrowsers[b].first_version + v;
        agents_.push_back(absl::StrFormat(kBrowsers[b].pattern, version,
                                          version));
      }
    }
    agents_.push_back("vigie-batch-client/2.3 (+integration; libcurl 7.88)");
  }

  absl::StatusOr<SimulationResult> Run() {
    result_.options = options_;
    CreatePopulation();
    if (options_.campaigns) PlanCampaigns();
    for (int64_t day = 0; day < options_.days; ++day) {
      const int64_t day_start = options_.start_time_ms + day * kDay;
      for (size_t a = 0; a < accounts_.size(); ++a) BenignDay(a, day, day_start);
      for (auto& campaign : campaign_days_) {
        if (campaign.first == day) campaign.second(day_start);
      }
      absl::Status status = EmitUntil(day_start + kDay);
      if (!status.ok()) return status;
    }
    absl::Status status = EmitUntil(INT64_MAX);
    if (!status.ok()) return status;
    for (CampaignLabel& label : result_.campaigns) {
      if (label.events == 0) label.start_ms = label.end_ms = 0;
    }
    return result_;
  }

 private:
  // ---- Population ----------------------------------------------------
  IpAddress ResidentialIp() {
    // French consumer ISPs' blocks (SFR, Free, Orange, Bouygues; checked
    // against the libloc database), so that with a location database a
    // home address changing is not a change of country.
    struct Block {
      uint32_t base;
      int prefix;
    };
    static constexpr Block kBlocks[] = {
        {(78u << 24) | (112u << 16), 12}, {(78u << 24) | (192u << 16), 11},
        {(86u << 24) | (64u << 16), 12},  {(90u << 24) | (0u << 16), 13},
        {(176u << 24) | (128u << 16), 10},
    };
    const Block& block = kBlocks[random_.Below(5)];
    return IpAddress::FromV4(
        block.base |
        static_cast<uint32_t>(random_.Below(1u << (32 - block.prefix))));
  }
  IpAddress ResidentialIpv6() {
    uint64_t hi = 0x2a01cb0000000000ull |
                  (random_.Next() & 0x000000ffffffff00ull);
    return IpAddress::FromHalves(hi, random_.Next() | 1);
  }
  IpAddress HostingIp(uint32_t network) {
    // Addresses of a few hosting-provider /24s.
    return IpAddress::FromV4((51u << 24) | (68u << 16) | ((network & 0xff) << 8) |
                             static_cast<uint32_t>(2 + random_.Below(250)));
  }

  int32_t AddName(std::string name, int profession) {
    names_.push_back(std::move(name));
    name_profession_.push_back(profession);
    return static_cast<int32_t>(names_.size() - 1);
  }

  std::string NewLogin() {
    std::string name = absl::StrCat(kFirstNames[random_.Below(40)], ".",
                                    kLastNames[random_.Below(40)]);
    int& count = login_counts_[name];
    ++count;
    return count == 1 ? name : absl::StrCat(name, count);
  }

  void CreatePopulation() {
    const int64_t hospitals = std::max<int64_t>(1, options_.accounts / 60);
    for (int64_t h = 0; h < hospitals; ++h) {
      std::vector<IpAddress> nat;
      for (int i = 0; i < 2; ++i) {
        nat.push_back(IpAddress::FromV4((193u << 24) | (48u << 16) |
                                        (static_cast<uint32_t>(h % 250) << 8) |
                                        static_cast<uint32_t>(1 + i + 10 * (h / 250))));
        result_.benign_traps.push_back({nat.back().ToString(), "hospital_nat"});
      }
      hospital_nats_.push_back(nat);
    }
    for (int i = 0; i < 24; ++i) {
      cgnat_.push_back(IpAddress::FromV4((37u << 24) | (165u << 16) |
                                         static_cast<uint32_t>(random_.Below(1u << 16))));
      result_.benign_traps.push_back({cgnat_.back().ToString(), "cgnat"});
    }
    for (int64_t i = 0; i < options_.accounts; ++i) {
      Account a;
      a.name = NewLogin();
      const double p = random_.Unit();
      a.profession = i == 0 || p < 0.015 ? kService
                     : p < 0.45          ? kGp
                     : p < 0.60          ? kSpecialist
                     : p < 0.75          ? kPharmacist
                     : p < 0.90          ? kNurse
                                         : kHospitalDesk;
      a.browser = static_cast<int>(random_.Below(kNumBrowsers));
      a.version = static_cast<int>(random_.Below(2));
      a.start_offset_ms = (7 * 60 + random_.Between(0, 150)) * kMinute;
      a.end_offset_ms = (16 * 60 + random_.Between(0, 240)) * kMinute;
      a.works_weekends = random_.Chance(0.12);
      a.mobile = random_.Chance(0.15);
      switch (a.profession) {
        case kGp:
          a.daily_median = 25; a.gap_mean_s = 120; a.new_person_share = 0.04;
          a.panel_size = random_.Between(700, 1300);
          break;
        case kSpecialist:
          a.daily_median = 14; a.gap_mean_s = 200; a.new_person_share = 0.35;
          a.panel_size = random_.Between(300, 2000);
          break;
        case kPharmacist:
          a.daily_median = 45; a.gap_mean_s = 70; a.new_person_share = 0.7;
          a.panel_size = random_.Between(1500, 4000);
          a.works_weekends = random_.Chance(0.5);
          break;
        case kNurse:
          a.daily_median = 10; a.gap_mean_s = 150; a.new_person_share = 0.05;
          a.panel_size = random_.Between(50, 150);
          a.night_shift = random_.Chance(0.15);
          break;
        case kHospitalDesk:
          a.daily_median = 220; a.gap_mean_s = 40; a.new_person_share = 0.9;
          a.panel_size = 20000;
          a.night_shift = random_.Chance(0.15);
          a.works_weekends = random_.Chance(0.6);
          break;
        case kService:
          a.daily_median = 1500; a.gap_mean_s = 57; a.new_person_share = 1.0;
          a.panel_size = 1;
          a.works_weekends = true;
          break;
        default:
          break;
      }
      if (a.night_shift) {
        a.start_offset_ms = (20 * 60 + random_.Between(0, 60)) * kMinute;
        a.end_offset_ms = a.start_offset_ms + 10 * kHour;
        a.works_weekends = true;
      }
      a.panel_base = static_cast<int64_t>(random_.Below(population_));
      if (a.profession == kHospitalDesk) {
        a.ips = hospital_nats_[random_.Below(hospital_nats_.size())];
      } else if (a.profession == kService) {
        a.ips.push_back(IpAddress::FromV4((193u << 24) | (51u << 16) |
                                          static_cast<uint32_t>(random_.Below(1u << 16))));
      } else {
        a.ips.push_back(random_.Chance(0.15) ? ResidentialIpv6() : ResidentialIp());
        if (random_.Chance(0.5)) a.ips.push_back(ResidentialIp());
      }
      const int32_t id = AddName(a.name, a.profession);
      (void)id;
      if (a.profession == kPharmacist) {
        result_.benign_traps.push_back({a.name, "pharmacist"});
      } else if (a.profession == kService) {
        result_.benign_traps.push_back({a.name, "service_account"});
      }
      if (a.night_shift) result_.benign_traps.push_back({a.name, "night_shift"});
      accounts_.push_back(std::move(a));
    }
  }

  // ---- Event construction ---------------------------------------------
  SimEvent& Add(int64_t time_ms, int32_t name, const IpAddress& ip,
                Action action, Outcome outcome, int agent, Service service,
                int16_t campaign) {
    SimEvent e;
    e.time_ms = time_ms;
    e.sequence = sequence_++;
    e.name = name;
    e.campaign = campaign;
    e.agent = static_cast<uint8_t>(agent);
    e.service = static_cast<uint8_t>(service);
    e.ip = ip;
    e.action = action;
    e.outcome = outcome;
    e.has_subject = false;
    e.has_records = false;
    e.records = 0;
    buffer_.push_back(e);
    if (campaign >= 0) {
      CampaignLabel& label = result_.campaigns[campaign];
      if (label.events == 0 || time_ms < label.start_ms) label.start_ms = time_ms;
      label.end_ms = std::max(label.end_ms, time_ms);
      ++label.events;
      if (action == Action::kLookup) ++label.lookups;
      ++result_.attack_events;
    }
    return buffer_.back();
  }

  void Lookup(int64_t time_ms, int32_t name, const IpAddress& ip, int agent,
              int64_t person, bool not_found, int16_t campaign) {
    SimEvent& e = Add(time_ms, name, ip, Action::kLookup,
                      not_found ? Outcome::kNotFound : Outcome::kSuccess, agent,
                      random_.Chance(0.2) ? kCoverage : kPatientLookup,
                      campaign);
    e.has_subject = true;
    if (not_found) {
      // A number the portal does not know: valid shape, sometimes a bad key.
      SweepNir(options_.seed ^ 0x5eed, person, 1 + static_cast<int>(random_.Below(999)),
               !random_.Chance(0.3), e.nir);
    } else {
      PersonNir(options_.seed, person, e.nir);
    }
  }

  int AgentOf(const Account& a) const {
    if (a.profession == kService) return kServiceAgent;
    return a.browser * kVersionsPerBrowser + a.version;
  }

  // Logs in (with an occasional typo first) and returns the time after.
  int64_t Login(int64_t t, int32_t name, const IpAddress& ip, int agent,
                int16_t campaign) {
    if (campaign < 0 && random_.Chance(0.03)) {
      Add(t, name, ip, Action::kLogin, Outcome::kFailure, agent, kPortal,
          campaign);
      t += random_.Between(4, 25) * kSecond;
    }
    Add(t, name, ip, Action::kLogin, Outcome::kSuccess, agent, kPortal,
        campaign);
    if (campaign < 0 && random_.Chance(0.3)) {
      t += random_.Between(5, 30) * kSecond;
      Add(t, name, ip, Action::kMfa, Outcome::kSuccess, agent, kPortal,
          campaign);
    }
    return t + random_.Between(3, 40) * kSecond;
  }

  int64_t PanelPerson(const Account& a) {
    if (random_.Chance(a.new_person_share)) {
      return static_cast<int64_t>(random_.Below(population_));
    }
    return (a.panel_base + static_cast<int64_t>(random_.Below(a.panel_size))) %
           population_;
  }

  // ---- Benign traffic -----------------------------------------------
  void BenignDay(size_t index, int64_t day, int64_t day_start) {
    Account& a = accounts_[index];
    const int32_t name = static_cast<int32_t>(index);
    const bool weekend = day % 7 >= 5;
    if (weekend && !a.works_weekends) return;
    if (random_.Chance(0.01)) ++a.version;  // Browser upgrade.
    if (a.version >= kVersionsPerBrowser) a.version = kVersionsPerBrowser - 1;
    const int agent = AgentOf(a);
    if (a.profession == kService) {
      int64_t t = day_start + random_.Between(0, 10) * kMinute;
      t = Login(t, name, a.ips[0], agent, -1);
      const int64_t end = day_start + kDay;
      while (t < end) {
        Lookup(t, name, a.ips[0], agent, PanelPerson(a),
               random_.Chance(0.01), -1);
        t += static_cast<int64_t>(random_.Exponential(a.gap_mean_s) * kSecond) +
             kSecond;
      }
      return;
    }
    if (random_.Chance(weekend ? 0.5 : 0.08)) return;  // Day off.
    const bool traveller = random_.Chance(0.01);
    IpAddress travel_ip;
    if (traveller) {
      travel_ip = IpAddress::FromV4((203u << 24) |
                                    static_cast<uint32_t>(random_.Below(1u << 24)));
      result_.benign_traps.push_back({a.name, "traveller"});
    }
    int64_t lookups = static_cast<int64_t>(
        std::llround(random_.LogNormal(a.daily_median, 0.6) *
                     (weekend ? 0.4 : 1.0)));
    const int sessions = 1 + static_cast<int>(random_.Below(3));
    const int64_t span = a.end_offset_ms - a.start_offset_ms;
    for (int s = 0; s < sessions; ++s) {
      int64_t t = day_start + a.start_offset_ms +
                  static_cast<int64_t>(random_.Below(span - 30 * kMinute));
      // Lunch dip: most sessions that would start over lunch move later.
      const int64_t hour = (t - day_start) / kHour;
      if ((hour == 12 || hour == 13) && random_.Chance(0.6)) t += 90 * kMinute;
      IpAddress ip = a.ips[a.ips.size() > 1 && random_.Chance(0.3) ? 1 : 0];
      if (a.mobile && random_.Chance(0.3)) ip = cgnat_[random_.Below(cgnat_.size())];
      if (traveller) ip = travel_ip;
      t = Login(t, name, ip, agent, -1);
      const int64_t in_session =
          s == sessions - 1 ? lookups : lookups / sessions;
      lookups -= in_session;
      for (int64_t k = 0; k < in_session; ++k) {
        Lookup(t, name, ip, agent, PanelPerson(a), random_.Chance(0.02), -1);
        t += static_cast<int64_t>(random_.Exponential(a.gap_mean_s) * kSecond) +
             2 * kSecond;
      }
      if (random_.Chance(0.01)) {
        SimEvent& e = Add(t, name, ip, Action::kExport, Outcome::kSuccess,
                          agent, kExport, -1);
        e.has_records = true;
        e.records = static_cast<uint32_t>(1 + random_.LogNormal(20, 1.0));
        t += random_.Between(10, 60) * kSecond;
      }
      if (random_.Chance(0.7)) {
        Add(t, name, ip, Action::kLogout, Outcome::kSuccess, agent, kPortal, -1);
      }
    }
  }

  // ---- Campaigns ----------------------------------------------------
  int16_t NewCampaign(const std::string& kind) {
    int count = ++campaign_counts_[kind];
    CampaignLabel label;
    label.id = absl::StrCat(kind, "-", count);
    label.kind = kind;
    result_.campaigns.push_back(label);
    return static_cast<int16_t>(result_.campaigns.size() - 1);
  }

  void Label(int16_t c, const std::string& account, const IpAddress& ip) {
    CampaignLabel& label = result_.campaigns[c];
    if (!account.empty() &&
        std::find(label.accounts.begin(), label.accounts.end(), account) ==
            label.accounts.end()) {
      label.accounts.push_back(account);
    }
    std::string text = ip.ToString();
    if (std::find(label.ips.begin(), label.ips.end(), text) == label.ips.end()) {
      label.ips.push_back(text);
    }
  }

  // A human-facing account of the given professions, not yet a victim.
  int32_t PickVictim(std::initializer_list<Profession> professions) {
    for (int tries = 0; tries < 100000; ++tries) {
      size_t i = random_.Below(accounts_.size());
      if (victims_.count(i)) continue;
      for (Profession p : professions) {
        if (accounts_[i].profession == p) {
          victims_[i] = true;
          return static_cast<int32_t>(i);
        }
      }
    }
    // Tiny populations: any human account, even one already used.
    for (size_t i = 0; i < accounts_.size(); ++i) {
      if (accounts_[i].profession != kService) return static_cast<int32_t>(i);
    }
    return 0;
  }

  void PlanCampaigns() {
    const int64_t attack_day = options_.days >= 2 ? 1 : 0;
    const int64_t last_day = options_.days - 1;
    auto at = [&](int64_t day, auto&& body) {
      campaign_days_.emplace_back(day, std::forward<decltype(body)>(body));
    };
    // Chained lookups: several compromised accounts, a few hosting IPs.
    {
      const int16_t c = NewCampaign("chained_lookup");
      const int victims =
          static_cast<int>(std::max<int64_t>(3, options_.accounts / 1000));
      std::vector<IpAddress> ips;
      const uint32_t network = static_cast<uint32_t>(random_.Below(200));
      for (int i = 0; i < 3; ++i) ips.push_back(HostingIp(network + (i == 2)));
      std::vector<int32_t> chosen;
      for (int v = 0; v < victims; ++v) chosen.push_back(PickVictim({kGp, kSpecialist}));
      at(attack_day, [this, c, ips, chosen](int64_t day_start) {
        for (size_t v = 0; v < chosen.size(); ++v) {
          const Account& a = accounts_[chosen[v]];
          const IpAddress ip = ips[v % ips.size()];
          Label(c, a.name, ip);
          int64_t t = day_start + random_.Between(0, 20 * 60) * kMinute;
          const int64_t end = t + random_.Between(120, 240) * kMinute;
          t = Login(t, chosen[v], ip, AgentOf(a), c);
          int64_t sweep_left = 0;
          int64_t sweep_prefix = 0;
          int sweep_order = 1;
          while (t < end) {
            if (sweep_left == 0 && random_.Chance(0.05)) {
              sweep_left = random_.Between(20, 120);
              sweep_prefix = static_cast<int64_t>(random_.Below(population_));
              sweep_order = static_cast<int>(random_.Between(1, 600));
            }
            if (sweep_left > 0 && sweep_order <= 999) {
              SimEvent& e = Add(t, chosen[v], ip, Action::kLookup,
                                random_.Chance(0.15) ? Outcome::kNotFound
                                                     : Outcome::kSuccess,
                                AgentOf(a),
                                random_.Chance(0.2) ? kCoverage : kPatientLookup,
                                c);
              e.has_subject = true;
              SweepNir(options_.seed, sweep_prefix, sweep_order++, true, e.nir);
              --sweep_left;
            } else {
              sweep_left = 0;
              Lookup(t, chosen[v], ip, AgentOf(a),
                     static_cast<int64_t>(random_.Below(population_)),
                     random_.Chance(0.05), c);
            }
            t += 500 + static_cast<int64_t>(random_.Below(2500));
          }
        }
      });
    }
    // Low and slow: one account, rotating residential addresses, office
    // hours, a new person every 30-120 s, every day from the attack day.
    {
      const int16_t c = NewCampaign("low_and_slow");
      const int32_t victim = PickVictim({kGp, kNurse, kSpecialist});
      for (int64_t day = attack_day; day <= last_day; ++day) {
        if (day % 7 >= 5) continue;
        at(day, [this, c, victim](int64_t day_start) {
          const Account& a = accounts_[victim];
          int64_t t = day_start + 9 * kHour + random_.Between(0, 30) * kMinute;
          const int64_t end = day_start + 17 * kHour;
          while (t < end) {
            const IpAddress ip = ResidentialIp();
            Label(c, a.name, ip);
            const int64_t hour_end = std::min(end, t + kHour);
            t = Login(t, victim, ip, AgentOf(a), c);
            while (t < hour_end) {
              Lookup(t, victim, ip, AgentOf(a),
                     static_cast<int64_t>(random_.Below(population_)),
                     random_.Chance(0.02), c);
              t += random_.Between(30, 120) * kSecond;
            }
          }
        });
      }
    }
    // Credential stuffing: many names, 1-2 tries each, a few successes.
    {
      const int16_t c = NewCampaign("credential_stuffing");
      at(attack_day, [this, c](int64_t day_start) {
        std::vector<IpAddress> ips;
        for (int i = 0; i < 5; ++i) ips.push_back(ResidentialIp());
        int64_t t = day_start + random_.Between(0, 22 * 60) * kMinute;
        int successes = 0;
        for (int k = 0; k < 300; ++k) {
          const IpAddress ip = ips[random_.Below(ips.size())];
          int32_t name;
          bool real = random_.Chance(0.5);
          if (real) {
            name = static_cast<int32_t>(random_.Below(accounts_.size()));
          } else {
            name = AddName(NewLogin(), -1);
          }
          Label(c, names_[name], ip);
          const int tries = 1 + static_cast<int>(random_.Below(2));
          for (int i = 0; i < tries; ++i) {
            const bool success = real && successes < 3 && i == tries - 1 &&
                                 random_.Chance(0.05);
            Add(t, name, ip, Action::kLogin,
                success ? Outcome::kSuccess : Outcome::kFailure,
                static_cast<int>(random_.Below(kServiceAgent)), kPortal, c);
            t += random_.Between(1, 6) * kSecond;
            if (success) {
              ++successes;
              const int64_t n = random_.Between(5, 20);
              for (int64_t j = 0; j < n; ++j) {
                Lookup(t, name, ip, static_cast<int>(random_.Below(kServiceAgent)),
                       static_cast<int64_t>(random_.Below(population_)), false, c);
                t += random_.Between(2, 10) * kSecond;
              }
            }
          }
        }
      });
    }
    // Password spray: one try per account, minutes apart.
    {
      const int16_t c = NewCampaign("password_spray");
      at(attack_day, [this, c](int64_t day_start) {
        std::vector<IpAddress> ips = {ResidentialIp(), ResidentialIp()};
        int64_t t = day_start + random_.Between(0, 12 * 60) * kMinute;
        const int64_t n = std::min<int64_t>(200, accounts_.size());
        for (int64_t k = 0; k < n; ++k) {
          const int32_t name = static_cast<int32_t>(random_.Below(accounts_.size()));
          const IpAddress ip = ips[k % 2];
          Label(c, names_[name], ip);
          Add(t, name, ip, Action::kLogin, Outcome::kFailure,
              static_cast<int>(random_.Below(kServiceAgent)), kPortal, c);
          t += random_.Between(60, 300) * kSecond;
        }
      });
    }
    // Brute force: hundreds of failures on one account, then a success.
    {
      const int16_t c = NewCampaign("brute_force");
      const int32_t victim = PickVictim({kGp, kNurse, kPharmacist, kSpecialist});
      at(attack_day, [this, c, victim](int64_t day_start) {
        const IpAddress ip = HostingIp(static_cast<uint32_t>(random_.Below(250)));
        const int agent = static_cast<int>(random_.Below(kServiceAgent));
        Label(c, names_[victim], ip);
        int64_t t = day_start + random_.Between(0, 22 * 60) * kMinute;
        const int failures = static_cast<int>(random_.Between(200, 400));
        for (int k = 0; k < failures; ++k) {
          Add(t, victim, ip, Action::kLogin, Outcome::kFailure, agent,
              kPortal, c);
          t += random_.Between(1, 3) * kSecond;
        }
        Add(t, victim, ip, Action::kLogin, Outcome::kSuccess, agent, kPortal,
            c);
        for (int k = 0; k < 10; ++k) {
          t += random_.Between(2, 8) * kSecond;
          Lookup(t, victim, ip, agent,
                 static_cast<int64_t>(random_.Below(population_)), false, c);
        }
      });
    }
    // Bulk export at night from a new address.
    {
      const int16_t c = NewCampaign("bulk_export");
      const int32_t victim = PickVictim({kGp, kSpecialist, kHospitalDesk});
      at(last_day, [this, c, victim](int64_t day_start) {
        const Account& a = accounts_[victim];
        const IpAddress ip = HostingIp(static_cast<uint32_t>(random_.Below(250)));
        Label(c, a.name, ip);
        int64_t t = day_start + random_.Between(60, 240) * kMinute;
        t = Login(t, victim, ip, AgentOf(a), c);
        for (int k = 0; k < 20; ++k) {
          SimEvent& e = Add(t, victim, ip, Action::kExport, Outcome::kSuccess,
                            AgentOf(a), kExport, c);
          e.has_records = true;
          e.records = static_cast<uint32_t>(random_.Between(2000, 10000));
          result_.campaigns[c].exported_records += e.records;
          t += random_.Between(60, 600) * kSecond;
        }
      });
    }
    // Session hijack: the owner logs in, minutes later lookups from a new IP.
    {
      const int16_t c = NewCampaign("session_hijack");
      const int32_t victim = PickVictim({kGp, kSpecialist, kNurse});
      at(attack_day, [this, c, victim](int64_t day_start) {
        const Account& a = accounts_[victim];
        int64_t t = day_start + 10 * kHour + random_.Between(0, 120) * kMinute;
        Add(t, victim, a.ips[0], Action::kLogin, Outcome::kSuccess, AgentOf(a),
            kPortal, -1);
        t += random_.Between(3, 10) * kMinute;
        const IpAddress ip = ResidentialIp();
        Label(c, a.name, ip);
        for (int k = 0; k < 40; ++k) {
          Lookup(t, victim, ip, AgentOf(a),
                 static_cast<int64_t>(random_.Below(population_)), false, c);
          t += static_cast<int64_t>(random_.Exponential(30) * kSecond) + kSecond;
        }
      });
    }
  }

  // ---- Output -------------------------------------------------------
  absl::Status EmitUntil(int64_t end_ms) {
    std::sort(buffer_.begin(), buffer_.end(),
              [](const SimEvent& a, const SimEvent& b) {
                return a.time_ms != b.time_ms ? a.time_ms < b.time_ms
                                              : a.sequence < b.sequence;
              });
    size_t n = 0;
    AccessRecord record;
    for (; n < buffer_.size() && buffer_[n].time_ms < end_ms; ++n) {
      const SimEvent& e = buffer_[n];
      record.time_ms = e.time_ms;
      record.account = names_[e.name];
      record.ip = e.ip;
      record.action = e.action;
      record.outcome = e.outcome;
      record.subject = e.has_subject ? absl::string_view(e.nir, 15)
                                     : absl::string_view();
      record.has_records = e.has_records;
      record.records = e.records;
      record.user_agent = agents_[e.agent];
      record.service = kServiceNames[e.service];
      const int profession = name_profession_[e.name];
      record.profession = profession >= 0 ? kProfessionNames[profession] : "";
      absl::Status status = callback_(record);
      if (!status.ok()) return status;
      ++result_.events;
    }
    buffer_.erase(buffer_.begin(), buffer_.begin() + n);
    return absl::OkStatus();
  }

  const SimulationOptions& options_;
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
  std::vector<std::vector<IpAddress>> hospital_nats_;
  std::vector<IpAddress> cgnat_;
  std::vector<std::pair<int64_t, std::function<void(int64_t)>>> campaign_days_;
  std::vector<SimEvent> buffer_;
  uint64_t sequence_ = 0;
  SimulationResult result_;
};

void AppendStringArray(const std::vector<std::string>& items, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out->append(", ");
    internal::AppendJsonString(items[i], out);
  }
  out->push_back(']');
}

}  // namespace

absl::StatusOr<SimulationResult> Simulate(const SimulationOptions& options,
                                          const EventCallback& callback) {
  if (options.accounts < 1) {
    return absl::InvalidArgumentError("accounts must be at least 1");
  }
  if (options.days < 1) {
    return absl::InvalidArgumentError("days must be at least 1");
  }
  Simulator simulator(options, callback);
  return simulator.Run();
}

std::string LabelsToJson(const SimulationResult& result) {
  std::string out = "{\n";
  absl::StrAppend(&out, "  \"seed\": ", result.options.seed, ",\n");
  absl::StrAppend(&out, "  \"accounts\": ", result.options.accounts, ",\n");
  absl::StrAppend(&out, "  \"days\": ", result.options.days, ",\n");
  absl::StrAppend(&out, "  \"start\": \"",
                  FormatEventTime(result.options.start_time_ms), "\",\n");
  absl::StrAppend(&out, "  \"events\": ", result.events, ",\n");
  absl::StrAppend(&out, "  \"attack_events\": ", result.attack_events, ",\n");
  out.append("  \"campaigns\": [");
  for (size_t i = 0; i < result.campaigns.size(); ++i) {
    const CampaignLabel& c = result.campaigns[i];
    out.append(i == 0 ? "\n" : ",\n");
    out.append("    {\n      \"id\": ");
    internal::AppendJsonString(c.id, &out);
    out.append(",\n      \"kind\": ");
    internal::AppendJsonString(c.kind, &out);
    out.append(",\n      \"accounts\": ");
    AppendStringArray(c.accounts, &out);
    out.append(",\n      \"ips\": ");
    AppendStringArray(c.ips, &out);
    absl::StrAppend(&out, ",\n      \"start\": \"", FormatEventTime(c.start_ms),
                    "\",\n      \"end\": \"", FormatEventTime(c.end_ms),
                    "\",\n      \"events\": ", c.events,
                    ",\n      \"lookups\": ", c.lookups,
                    ",\n      \"exported_records\": ", c.exported_records,
                    "\n    }");
  }
  out.append(result.campaigns.empty() ? "],\n" : "\n  ],\n");
  out.append("  \"benign_traps\": [");
  for (size_t i = 0; i < result.benign_traps.size(); ++i) {
    out.append(i == 0 ? "\n    {\"entity\": " : ",\n    {\"entity\": ");
    internal::AppendJsonString(result.benign_traps[i].entity, &out);
    out.append(", \"kind\": ");
    internal::AppendJsonString(result.benign_traps[i].kind, &out);
    out.append("}");
  }
  out.append(result.benign_traps.empty() ? "]\n}\n" : "\n  ]\n}\n");
  return out;
}

}  // namespace simulate
}  // namespace vigie
