#include "detector/signals/shared_infrastructure.h"

#include <algorithm>

namespace vigie {
namespace {

using AccountSet = decltype(engine::AddressAccounts::accounts);
constexpr int kHour = WindowSpec::kHour;

// Adds the event's account to the address's accounts and returns their
// set once there are two or more (valid until `sets` is next used), or
// null while the address's lone account is all it has had.
AccountSet* AddAccount(const Event& e, engine::AddressState& ip,
                       EntityTable<IpAddress, engine::AddressAccounts>& sets) {
  if (!ip.accounts_in_table) {
    if (ip.lone_account_minute == 0 || ip.lone_account == e.account) {
      // What a set would keep of one id: its newest minute.
      ip.lone_account = e.account;
      ip.lone_account_minute =
          std::max(ip.lone_account_minute, AccountSet::MinuteOf(e.time_ms));
      return nullptr;
    }
  }
  sets.ExpireIdle(e.time_ms);
  AccountSet& set = sets.FindOrCreate(e.ip, e.time_ms).accounts;
  if (!ip.accounts_in_table) {
    // A set left by an earlier state of the same address (evicted, or
    // dropped unread) is stale: start from what the lone account holds.
    set = AccountSet();
    set.Add(AccountSet::MillisOf(ip.lone_account_minute), ip.lone_account);
    ip.accounts_in_table = true;
  }
  // A set dropped while idle (the table's TTL) held only accounts outside
  // every hour window still to be read: the empty one FindOrCreate gives
  // instead counts the same.
  set.Add(e.time_ms, e.account);
  return &set;
}

}  // namespace

int RecentLoginsFrom(
    const Event& e, const DetectorOptions& options,
    const engine::AddressState& ip,
    EntityTable<IpAddress, engine::AddressAccounts>& sets,
    std::array<uint32_t, engine::kAddressAccountsTracked>* out) {
  const WindowSpec& w = options.windows;
  if (!ip.seen || e.time_ms - ip.first_seen_ms >= kSharedUseYoungMs) return 0;
  if (!ip.accounts_in_table) {
    if (!AccountSet::CountOne(w, kHour, ip.lone_account_minute, e.time_ms)) {
      return 0;
    }
    (*out)[0] = ip.lone_account;
    return 1;
  }
  const engine::AddressAccounts* set = sets.Find(e.ip);
  if (set == nullptr) return 0;
  int n = 0;
  set->accounts.ForEachIn(w, kHour, e.time_ms,
                          [&](uint32_t id) { (*out)[n++] = id; });
  return n;
}

SignalScore ObserveSharedUse(
    const Event& e, int64_t stream_start_ms, const DetectorOptions& options,
    engine::AddressState& ip,
    EntityTable<IpAddress, engine::AddressAccounts>& sets) {
  const WindowSpec& w = options.windows;
  if (!ip.seen) {
    ip.seen = true;
    ip.first_seen_ms = e.time_ms;
  }
  SignalScore s;
  const int64_t age_ms = e.time_ms - ip.first_seen_ms;
  if (age_ms >= kSharedUseYoungMs + w.lateness_ms()) {
    // Every event the engine still accepts (none later than the lateness)
    // finds the address old: its accounts are never read again.
    if (ip.accounts_in_table) {
      sets.Erase(e.ip);
      ip.accounts_in_table = false;
    }
    return s;
  }
  const AccountSet* set = AddAccount(e, ip, sets);
  const bool address_young = age_ms < kSharedUseYoungMs;
  const bool stream_old = e.time_ms - stream_start_ms >= kSharedUseYoungMs;
  if (!address_young || !stream_old) return s;
  const double accounts =
      set != nullptr ? set->Count(w, kHour, e.time_ms)
                     : AccountSet::CountOne(w, kHour, ip.lone_account_minute,
                                            e.time_ms);
  const double threshold = static_cast<double>(options.accounts_per_new_ip_hour);
  if (accounts >= threshold) {
    s.Add(50 + 10 * (accounts - threshold),
          Evidence{Feature::kAccountsPerIp, accounts, threshold,
                   w.horizon_ms(kHour)});
  }
  return s;
}

}  // namespace vigie
