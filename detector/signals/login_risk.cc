#include "detector/signals/login_risk.h"

namespace vigie {
namespace {

uint64_t AddressKey(const IpAddress& ip) {
  return ip.hi() * 0x9e3779b97f4a7c15ull ^ ip.lo();
}

}  // namespace

uint64_t ScopeOf(NoveltyScope scope, uint32_t account) {
  return (static_cast<uint64_t>(scope) << 32) | account;
}

SignalScore ObserveSuccessfulLogin(const Event& e,
                                   const DetectorOptions& options,
                                   NoveltyFilter& novelty,
                                   engine::AccountState& a) {
  SignalScore s;
  const bool experienced =
      a.logins >= static_cast<uint32_t>(options.logins_before_novelty);
  const bool new_ip = novelty.TestAndInsert(
      ScopeOf(NoveltyScope::kAddress, e.account), AddressKey(e.ip));
  const bool new_network = novelty.TestAndInsert(
      ScopeOf(NoveltyScope::kNetwork, e.account), AddressKey(e.ip.Network()));
  const bool new_agent =
      e.user_agent_hash != 0 &&
      novelty.TestAndInsert(ScopeOf(NoveltyScope::kUserAgent, e.account),
                            e.user_agent_hash);
  if (experienced && new_ip) {
    s.Add(25, Evidence{Feature::kNewIpForAccount, 1, 0, 0});
    if (new_network) s.Add(15, Evidence{Feature::kNewNetworkForAccount, 1, 0, 0});
    if (new_agent) s.Add(10, Evidence{Feature::kNewUserAgentForAccount, 1, 0, 0});
  }
  // A new session: timing regularity is measured within it, not across the
  // night before.
  a.lookup_gaps = GapRegularity();
  a.previous_login_ip = a.login_ip;
  a.login_ip = e.ip;
  a.login_ms = e.time_ms;
  a.login_ip_new = experienced && new_ip;
  ++a.logins;
  return s;
}

SignalScore ObserveSessionActivity(const Event& e, NoveltyFilter& novelty,
                                   engine::AccountState& a) {
  SignalScore s;
  if (a.logins == 0 || e.ip == a.login_ip || e.ip == a.previous_login_ip) {
    return s;
  }
  const bool new_ip = !novelty.Contains(
      ScopeOf(NoveltyScope::kAddress, e.account), AddressKey(e.ip));
  // To an address the account used before (another of its sessions, a
  // hospital's second NAT address): weak. To a new one: a stolen session.
  s.Add(new_ip ? 60 : 25, Evidence{Feature::kIpSwitchWithoutLogin, 1, 0, 0});
  if (new_ip) s.Add(0, Evidence{Feature::kNewIpForAccount, 1, 0, 0});
  return s;
}

}  // namespace vigie
