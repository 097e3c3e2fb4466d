#include "tools/simulate/simulator.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "detector/ingest/time_format.h"
#include "detector/internal/json_writer.h"
#include "tools/simulate/nir_generator.h"
#include "tools/simulate/simulator_internal.h"

namespace vigie {
namespace simulate {
namespace internal {
namespace {

constexpr const char* kProfessionNames[] = {"gp",    "specialist",
                                            "pharmacist", "nurse",
                                            "hospital_desk", "service"};
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
constexpr BrowserFamily kBrowsers[kNumBrowsers] = {
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

constexpr const char* kTrapNames[kNumTraps] = {
    "pharmacist",     "service_account",      "night_shift",
    "hospital_nat",   "traveller",            "roaming_session",
    "dual_stack",     "ipv6_privacy",         "cgnat_per_connection",
    "mobile",         "isp_renumbering",      "vpn",
    "multi_site",     "shared_practice",      "night_on_call",
    "new_device"};

}  // namespace

const char* TrapName(Trap trap) { return kTrapNames[trap]; }

Simulator::Simulator(const SimulationOptions& options,
                     const EventCallback& callback)
    : options_(options),
      world_(options.world),
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

absl::StatusOr<SimulationResult> Simulator::Run() {
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
  EmitTraps();
  return result_;
}

// ---- Population ----------------------------------------------------
int32_t Simulator::AddName(std::string name, int profession) {
  names_.push_back(std::move(name));
  name_profession_.push_back(profession);
  return static_cast<int32_t>(names_.size() - 1);
}

std::string Simulator::NewLogin() {
  std::string name = absl::StrCat(kFirstNames[random_.Below(40)], ".",
                                  kLastNames[random_.Below(40)]);
  int& count = login_counts_[name];
  ++count;
  return count == 1 ? name : absl::StrCat(name, count);
}

void Simulator::CreatePopulation() {
  // About 60 desk accounts a hospital.
  hospitals_ = std::max<int64_t>(
      1, static_cast<int64_t>(options_.accounts * world_.hospital_share / 60));
  for (int64_t h = 0; h < hospitals_; ++h) {
    for (int k = 0; k < world_.hospital_nat_pool; ++k) {
      result_.benign_traps.push_back(
          {Networks::HospitalNat(h, k).ToString(), "hospital_nat"});
    }
  }
  IpAddress practice;
  int practice_left = 0;
  for (int64_t i = 0; i < options_.accounts; ++i) {
    CreateAccount(i, &practice, &practice_left);
  }
}

void Simulator::CreateAccount(int64_t i, IpAddress* practice,
                              int* practice_left) {
  Account a;
  a.name = NewLogin();
  const double p = random_.Unit();
  // The non-hospital shares keep the proportions of a GP-led population.
  const double rest = 1 - world_.hospital_share;
  a.profession = i == 0 || p < 0.015 ? kService
                 : p < world_.hospital_share ? kHospitalDesk
                 : p < world_.hospital_share + rest * 0.48 ? kGp
                 : p < world_.hospital_share + rest * 0.65 ? kSpecialist
                 : p < world_.hospital_share + rest * 0.82 ? kPharmacist
                                                           : kNurse;
  a.browser = static_cast<int>(random_.Below(kNumBrowsers));
  a.version = static_cast<int>(random_.Below(2));
  a.start_offset_ms = (7 * 60 + random_.Between(0, 150)) * kMinute;
  a.end_offset_ms = (16 * 60 + random_.Between(0, 240)) * kMinute;
  a.works_weekends = random_.Chance(0.12);
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
      Mark(a, kTrapPharmacist);
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
      Mark(a, kTrapServiceAccount);
      break;
    default:
      break;
  }
  if (a.night_shift) {
    a.start_offset_ms = (20 * 60 + random_.Between(0, 60)) * kMinute;
    a.end_offset_ms = a.start_offset_ms + 10 * kHour;
    a.works_weekends = true;
    Mark(a, kTrapNightShift);
  }
  a.panel_base = static_cast<int64_t>(random_.Below(population_));
  // Networks.
  a.isp = Networks::RandomIsp(random_);
  a.carrier = Networks::RandomCarrier(random_);
  a.line = Networks::FixedLineV4(a.isp, random_);
  if (a.profession == kHospitalDesk) {
    a.hospital = static_cast<int64_t>(random_.Below(hospitals_));
    Mark(a, kTrapHospitalNat);
  } else if (a.profession == kService) {
    a.line = Networks::ServerAddress(random_);
  } else {
    if (*practice_left > 0) {
      // Another doctor of the practice: its line is the practice's.
      a.line = *practice;
      --*practice_left;
      Mark(a, kTrapSharedPractice);
    } else if (random_.Chance(world_.shared_practice_share / 3)) {
      // A group practice of 2-6 (about a third of the accounts that
      // share belong to the first one met).
      *practice = a.line;
      *practice_left = static_cast<int>(random_.Between(1, 5));
      result_.benign_traps.push_back({a.line.ToString(), "shared_practice"});
      Mark(a, kTrapSharedPractice);
    }
    if (random_.Chance(world_.ipv6_share)) {
      a.v6_prefix = Networks::FixedLineV6Prefix(a.isp, random_);
      a.v6_iid = Networks::TemporaryInterfaceId(random_);
    }
    if (random_.Chance(0.5)) {
      // A second line (home and practice), often at another ISP.
      a.has_second = true;
      a.second = ResidentialIp();
    }
    a.mobile = random_.Chance(world_.mobile_share);
    a.vpn = random_.Chance(world_.vpn_share);
    if (random_.Chance(world_.multi_site_share)) {
      a.hospital = static_cast<int64_t>(random_.Below(hospitals_));
    }
  }
  AddName(a.name, a.profession);
  accounts_.push_back(std::move(a));
}

void Simulator::EmitTraps() {
  for (const Account& a : accounts_) {
    for (int t = 0; t < kNumTraps; ++t) {
      if (a.traps & (1u << t)) {
        result_.benign_traps.push_back({a.name, TrapName(static_cast<Trap>(t))});
      }
    }
  }
}

// ---- Event construction ---------------------------------------------
SimEvent& Simulator::Add(int64_t time_ms, int32_t name, const IpAddress& ip,
                         Action action, Outcome outcome, int agent,
                         Service service, int16_t campaign) {
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

void Simulator::Lookup(int64_t time_ms, int32_t name, const IpAddress& ip,
                       int agent, int64_t person, bool not_found,
                       int16_t campaign) {
  SimEvent& e = Add(time_ms, name, ip, Action::kLookup,
                    not_found ? Outcome::kNotFound : Outcome::kSuccess, agent,
                    random_.Chance(0.2) ? kCoverage : kPatientLookup,
                    campaign);
  e.has_subject = true;
  if (not_found) {
    // A number the portal does not know: valid shape, sometimes a bad key.
    SweepNir(options_.seed ^ 0x5eed, person,
             1 + static_cast<int>(random_.Below(999)), !random_.Chance(0.3),
             e.nir);
  } else {
    PersonNir(options_.seed, person, e.nir);
  }
}

int Simulator::AgentOf(const Account& a) const {
  if (a.profession == kService) return kServiceAgent;
  return a.browser * kVersionsPerBrowser + a.version;
}

int64_t Simulator::Login(int64_t t, int32_t name, const IpAddress& ip,
                         int agent, int16_t campaign) {
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

int64_t Simulator::PanelPerson(const Account& a) {
  if (random_.Chance(a.new_person_share)) {
    return static_cast<int64_t>(random_.Below(population_));
  }
  return (a.panel_base + static_cast<int64_t>(random_.Below(a.panel_size))) %
         population_;
}

// ---- Output -------------------------------------------------------
absl::Status Simulator::EmitUntil(int64_t end_ms) {
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

}  // namespace internal

namespace {

void AppendStringArray(const std::vector<std::string>& items, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out->append(", ");
    ::vigie::internal::AppendJsonString(items[i], out);
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
  internal::Simulator simulator(options, callback);
  return simulator.Run();
}

std::string LabelsToJson(const SimulationResult& result) {
  std::string out = "{\n";
  absl::StrAppend(&out, "  \"seed\": ", result.options.seed, ",\n");
  absl::StrAppend(&out, "  \"accounts\": ", result.options.accounts, ",\n");
  absl::StrAppend(&out, "  \"days\": ", result.options.days, ",\n");
  out.append("  \"world\": ");
  ::vigie::internal::AppendJsonString(result.options.world.name, &out);
  out.append(",\n  \"world_parameters\": {");
  {
    bool first = true;
    for (absl::string_view line :
         absl::StrSplit(DescribeWorld(result.options.world), '\n',
                        absl::SkipEmpty())) {
      const size_t eq = line.find('=');
      out.append(first ? "" : ", ");
      first = false;
      ::vigie::internal::AppendJsonString(line.substr(0, eq), &out);
      absl::StrAppend(&out, ": ", line.substr(eq + 1));
    }
  }
  out.append("},\n");
  absl::StrAppend(&out, "  \"start\": \"",
                  FormatEventTime(result.options.start_time_ms), "\",\n");
  absl::StrAppend(&out, "  \"events\": ", result.events, ",\n");
  absl::StrAppend(&out, "  \"attack_events\": ", result.attack_events, ",\n");
  out.append("  \"campaigns\": [");
  for (size_t i = 0; i < result.campaigns.size(); ++i) {
    const CampaignLabel& c = result.campaigns[i];
    out.append(i == 0 ? "\n" : ",\n");
    out.append("    {\n      \"id\": ");
    ::vigie::internal::AppendJsonString(c.id, &out);
    out.append(",\n      \"kind\": ");
    ::vigie::internal::AppendJsonString(c.kind, &out);
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
    ::vigie::internal::AppendJsonString(result.benign_traps[i].entity, &out);
    out.append(", \"kind\": ");
    ::vigie::internal::AppendJsonString(result.benign_traps[i].kind, &out);
    out.append("}");
  }
  out.append(result.benign_traps.empty() ? "]\n}\n" : "\n  ]\n}\n");
  return out;
}

}  // namespace simulate
}  // namespace vigie
