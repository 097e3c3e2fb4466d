// The planted attack campaigns, each labelled (accounts, addresses, start,
// end, counts) in labels.json.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tools/simulate/nir_generator.h"
#include "tools/simulate/simulator_internal.h"

namespace vigie {
namespace simulate {
namespace internal {

int16_t Simulator::NewCampaign(const std::string& kind) {
  int count = ++campaign_counts_[kind];
  CampaignLabel label;
  label.id = absl::StrCat(kind, "-", count);
  label.kind = kind;
  result_.campaigns.push_back(label);
  return static_cast<int16_t>(result_.campaigns.size() - 1);
}

void Simulator::Label(int16_t c, const std::string& account, const IpAddress& ip) {
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
int32_t Simulator::PickVictim(std::initializer_list<Profession> professions) {
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

// Chained lookups: several compromised accounts, a few hosting IPs.
void Simulator::PlanChainedLookups(int64_t attack_day) {
  const int16_t c = NewCampaign("chained_lookup");
  const int victims =
      static_cast<int>(std::max<int64_t>(3, options_.accounts / 1000));
  std::vector<IpAddress> ips;
  const uint32_t network = static_cast<uint32_t>(random_.Below(200));
  for (int i = 0; i < 3; ++i) ips.push_back(Networks::Hosting(network + (i == 2), random_));
  std::vector<int32_t> chosen;
  for (int v = 0; v < victims; ++v) chosen.push_back(PickVictim({kGp, kSpecialist}));
  At(attack_day, [this, c, ips, chosen](int64_t day_start) {
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
void Simulator::PlanLowAndSlow(int64_t attack_day, int64_t last_day) {
  const int16_t c = NewCampaign("low_and_slow");
  const int32_t victim = PickVictim({kGp, kNurse, kSpecialist});
  for (int64_t day = attack_day; day <= last_day; ++day) {
    if (day % 7 >= 5) continue;
    At(day, [this, c, victim](int64_t day_start) {
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
void Simulator::PlanCredentialStuffing(int64_t attack_day) {
  const int16_t c = NewCampaign("credential_stuffing");
  At(attack_day, [this, c](int64_t day_start) {
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
void Simulator::PlanPasswordSpray(int64_t attack_day) {
  const int16_t c = NewCampaign("password_spray");
  At(attack_day, [this, c](int64_t day_start) {
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
void Simulator::PlanBruteForce(int64_t attack_day) {
  const int16_t c = NewCampaign("brute_force");
  const int32_t victim = PickVictim({kGp, kNurse, kPharmacist, kSpecialist});
  At(attack_day, [this, c, victim](int64_t day_start) {
    const IpAddress ip = Networks::Hosting(static_cast<uint32_t>(random_.Below(250)), random_);
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
void Simulator::PlanBulkExport(int64_t last_day) {
  const int16_t c = NewCampaign("bulk_export");
  const int32_t victim = PickVictim({kGp, kSpecialist, kHospitalDesk});
  At(last_day, [this, c, victim](int64_t day_start) {
    const Account& a = accounts_[victim];
    const IpAddress ip = Networks::Hosting(static_cast<uint32_t>(random_.Below(250)), random_);
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

// Session hijack: the owner logs in and keeps working; minutes later the
// stolen session cookie is replayed from elsewhere (a rented server, a
// foreign address or a residential proxy in the owner's country), and both
// use the session in turn.
void Simulator::PlanSessionHijack(int64_t attack_day) {
  const int16_t c = NewCampaign("session_hijack");
  const int32_t victim = PickVictim({kGp, kSpecialist, kNurse});
  At(attack_day, [this, c, victim](int64_t day_start) {
    const Account& a = accounts_[victim];
    int64_t t = day_start + 10 * kHour + random_.Between(0, 120) * kMinute;
    Add(t, victim, a.line, Action::kLogin, Outcome::kSuccess, AgentOf(a),
        kPortal, -1);
    int64_t owner = t + random_.Between(20, 90) * kSecond;
    t += random_.Between(3, 10) * kMinute;
    const uint64_t where = random_.Below(3);
    const IpAddress ip =
        where == 0   ? Networks::Hosting(
                           static_cast<uint32_t>(random_.Below(250)), random_)
        : where == 1 ? Networks::Foreign(random_)
                     : ResidentialIp();
    Label(c, a.name, ip);
    for (int k = 0; k < 40; ++k) {
      Lookup(t, victim, ip, AgentOf(a),
             static_cast<int64_t>(random_.Below(population_)), false, c);
      t += static_cast<int64_t>(random_.Exponential(30) * kSecond) + kSecond;
    }
    while (owner < t) {
      Lookup(owner, victim, a.line, AgentOf(a), PanelPerson(a),
             random_.Chance(0.02), -1);
      owner += static_cast<int64_t>(random_.Exponential(a.gap_mean_s) *
                                    kSecond) +
               2 * kSecond;
    }
  });
}

void Simulator::PlanCampaigns() {
  const int64_t attack_day = options_.days >= 2 ? 1 : 0;
  const int64_t last_day = options_.days - 1;
  PlanChainedLookups(attack_day);
  PlanLowAndSlow(attack_day, last_day);
  PlanCredentialStuffing(attack_day);
  PlanPasswordSpray(attack_day);
  PlanBruteForce(attack_day);
  PlanBulkExport(last_day);
  PlanSessionHijack(attack_day);
}

}  // namespace internal
}  // namespace simulate
}  // namespace vigie
