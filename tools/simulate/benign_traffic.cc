// A benign account's day: its sessions, and where on the network each of
// their requests comes from under the world's phenomena (world.h).
#include <algorithm>
#include <cmath>

#include "tools/simulate/simulator_internal.h"

namespace vigie {
namespace simulate {
namespace internal {

struct Simulator::Session {
  enum Place { kLine, kSecond, kHospital, kMobile, kVpn, kAbroad };
  Place place = kLine;
  bool v6 = false;
  IpAddress ip;
  int64_t request = 0;
  int64_t roam_at = -1;  // The request that moves to mobile data.
};

IpAddress Simulator::LineAddress(const Account& a, bool v6) const {
  if (v6 && a.v6_prefix != 0) {
    return IpAddress::FromHalves(a.v6_prefix, a.v6_iid);
  }
  return a.line;
}

void Simulator::StartOfDay(Account& a, int64_t day) {
  if (random_.Chance(0.01)) ++a.version;  // Browser upgrade.
  if (a.version >= kVersionsPerBrowser) a.version = kVersionsPerBrowser - 1;
  if (a.profession == kService) return;
  if (random_.Chance(world_.new_device)) {
    a.browser = (a.browser + 1 + static_cast<int>(random_.Below(3))) %
                kNumBrowsers;
    a.version = static_cast<int>(random_.Below(kVersionsPerBrowser));
    Mark(a, kTrapNewDevice);
  }
  if (day > 0 && a.v6_prefix != 0) {
    // Temporary addresses are regenerated daily (RFC 8981's default
    // preferred lifetime).
    a.v6_iid = Networks::TemporaryInterfaceId(random_);
  }
  if (day > 0 && !(a.traps & (1u << kTrapSharedPractice)) &&
      random_.Chance(world_.isp_renumbering)) {
    a.line = Networks::FixedLineV4(a.isp, random_);
    if (a.v6_prefix != 0 && random_.Chance(0.3)) {
      a.v6_prefix = Networks::FixedLineV6Prefix(a.isp, random_);
    }
    Mark(a, kTrapIspRenumbering);
  }
}

void Simulator::BenignDay(size_t index, int64_t day, int64_t day_start) {
  Account& a = accounts_[index];
  const int32_t name = static_cast<int32_t>(index);
  const bool weekend = day % 7 >= 5;
  if (weekend && !a.works_weekends) return;
  StartOfDay(a, day);
  const int agent = AgentOf(a);
  if (a.profession == kService) {
    int64_t t = day_start + random_.Between(0, 10) * kMinute;
    t = Login(t, name, a.line, agent, -1);
    const int64_t end = day_start + kDay;
    while (t < end) {
      Lookup(t, name, a.line, agent, PanelPerson(a), random_.Chance(0.01), -1);
      t += static_cast<int64_t>(random_.Exponential(a.gap_mean_s) * kSecond) +
           kSecond;
    }
    return;
  }
  if (random_.Chance(weekend ? 0.5 : 0.08)) return;  // Day off.
  IpAddress abroad;
  const bool traveller = random_.Chance(world_.traveller);
  if (traveller) {
    abroad = Networks::Foreign(random_);
    Mark(a, kTrapTraveller);
  }
  // Desks work at their hospital; multi-site doctors there on Tuesdays and
  // Thursdays.
  const bool at_hospital =
      a.hospital >= 0 &&
      (a.profession == kHospitalDesk || day % 7 == 1 || day % 7 == 3);
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
    const int64_t in_session =
        s == sessions - 1 ? lookups : lookups / sessions;
    lookups -= in_session;
    BenignSession(index, t, in_session, traveller ? &abroad : nullptr,
                  at_hospital);
  }
  if (!a.night_shift && !at_hospital &&
      random_.Chance(world_.night_on_call)) {
    // On call: a short session from home in the small hours.
    Mark(a, kTrapNightOnCall);
    BenignSession(index, day_start + random_.Between(60, 300) * kMinute,
                  random_.Between(1, 6), nullptr, false);
  }
}

void Simulator::BenignSession(size_t index, int64_t t, int64_t lookups,
                              const IpAddress* abroad, bool at_hospital) {
  Account& a = accounts_[index];
  const int32_t name = static_cast<int32_t>(index);
  const int agent = AgentOf(a);
  Session s;
  IpAddress ip = SessionStart(a, s, abroad, at_hospital);
  if (s.place != Session::kMobile && s.place != Session::kAbroad &&
      lookups >= 4 && random_.Chance(world_.roaming_session)) {
    s.roam_at = random_.Between(1, lookups - 1);
  }
  t = Login(t, name, ip, agent, -1);
  for (int64_t k = 0; k < lookups; ++k) {
    ip = NextRequest(a, s);
    Lookup(t, name, ip, agent, PanelPerson(a), random_.Chance(0.02), -1);
    t += static_cast<int64_t>(random_.Exponential(a.gap_mean_s) * kSecond) +
         2 * kSecond;
  }
  if (random_.Chance(0.01)) {
    ip = NextRequest(a, s);
    SimEvent& e =
        Add(t, name, ip, Action::kExport, Outcome::kSuccess, agent, kExport,
            -1);
    e.has_records = true;
    e.records = static_cast<uint32_t>(1 + random_.LogNormal(20, 1.0));
    t += random_.Between(10, 60) * kSecond;
  }
  if (random_.Chance(0.7)) {
    Add(t, name, NextRequest(a, s), Action::kLogout, Outcome::kSuccess, agent,
        kPortal, -1);
  }
}

IpAddress Simulator::SessionStart(Account& a, Session& s,
                                  const IpAddress* abroad, bool at_hospital) {
  if (abroad != nullptr) {
    s.place = Session::kAbroad;
    s.ip = *abroad;
  } else if (at_hospital) {
    s.place = Session::kHospital;
    s.ip = HospitalAddress(a.hospital);
    if (a.profession != kHospitalDesk) Mark(a, kTrapMultiSite);
  } else if (a.vpn && random_.Chance(world_.vpn_session)) {
    s.place = Session::kVpn;
    s.ip = Networks::VpnExit(random_);
    Mark(a, kTrapVpn);
  } else if (a.mobile && random_.Chance(world_.mobile_session)) {
    s.place = Session::kMobile;
    s.ip = Networks::MobilePool(a.carrier, random_);
    Mark(a, kTrapMobile);
  } else if (a.has_second && random_.Chance(0.3)) {
    s.place = Session::kSecond;
    s.ip = a.second;
  } else {
    s.place = Session::kLine;
    // Happy Eyeballs prefers IPv6 where the line has it.
    s.v6 = a.v6_prefix != 0 && random_.Chance(0.7);
    if (a.v6_prefix != 0) Mark(a, kTrapDualStack);
    if (s.v6) Mark(a, kTrapIpv6Privacy);
    s.ip = LineAddress(a, s.v6);
  }
  return s.ip;
}

IpAddress Simulator::NextRequest(Account& a, Session& s) {
  ++s.request;
  if (s.request == s.roam_at) {
    // Off the Wi-Fi, onto the phone's data, same session.
    s.place = Session::kMobile;
    s.ip = Networks::MobilePool(a.carrier, random_);
    Mark(a, kTrapRoamingSession);
    return s.ip;
  }
  switch (s.place) {
    case Session::kMobile:
      if (random_.Chance(world_.cgnat_per_connection)) {
        s.ip = Networks::MobilePool(a.carrier, random_);
        Mark(a, kTrapCgnatPerConnection);
      }
      break;
    case Session::kLine:
      if (a.v6_prefix == 0) break;
      if (random_.Chance(world_.dual_stack * 0.05)) {
        s.v6 = !s.v6;
        Mark(a, kTrapDualStack);
      }
      if (s.v6 && random_.Chance(world_.ipv6_privacy * 0.02)) {
        a.v6_iid = Networks::TemporaryInterfaceId(random_);
        Mark(a, kTrapIpv6Privacy);
      }
      s.ip = LineAddress(a, s.v6);
      break;
    case Session::kHospital:
      // Large NAT pools hand out an address per connection.
      if (world_.hospital_nat_pool > 2 && random_.Chance(0.3)) {
        s.ip = HospitalAddress(a.hospital);
      }
      break;
    default:
      break;
  }
  return s.ip;
}

}  // namespace internal
}  // namespace simulate
}  // namespace vigie
