#include "detector/signals/credential_attacks.h"

#include <algorithm>

namespace vigie {
namespace {
constexpr int kHour = WindowSpec::kHour;
constexpr int kDay = WindowSpec::kDay;
static_assert(decltype(engine::AccountFailuresAndExports::failures)::Keeps(
                  kHour),
              "the account keeps the failure window read below");
}  // namespace

SignalScore ObserveAccountLogin(const Event& e, const DetectorOptions& options,
                                engine::AccountState& a,
                                engine::AccountFailuresAndExports* windows) {
  const WindowSpec& w = options.windows;
  SignalScore score;
  if (e.outcome == Outcome::kSuccess) {
    if (a.failures_since_success >= options.account_failures_per_hour) {
      score.Add(85, Evidence{Feature::kSuccessAfterFailures,
                             static_cast<double>(a.failures_since_success),
                             static_cast<double>(
                                 options.account_failures_per_hour),
                             0});
    }
    a.failures_since_success = 0;
    return score;
  }
  if (e.outcome != Outcome::kFailure) return score;
  ++a.failures_since_success;
  windows->failures.Add(w, e.time_ms, 1);
  const double failures = windows->failures.Sum(w, kHour, e.time_ms);
  const double threshold =
      static_cast<double>(options.account_failures_per_hour);
  if (failures >= threshold) {
    score.Add(50 + 5 * (failures - threshold),
              Evidence{Feature::kFailuresOnAccount, failures, threshold,
                       w.horizon_ms(kHour)});
  }
  return score;
}

namespace {

// An address's failing accounts on the scale (hour or day) where they
// are furthest towards their threshold.
struct FailingAccounts {
  double observed;
  double limit;
  int horizon;  // kHour or kDay.
};

template <typename Failures>
FailingAccounts CountFailing(const Event& e, const DetectorOptions& options,
                             const Failures& ip) {
  const WindowSpec& w = options.windows;
  const double hour = ip.failing_accounts.Count(w, kHour, e.time_ms);
  const double day = ip.failing_accounts.Count(w, kDay, e.time_ms);
  const double hour_threshold =
      static_cast<double>(options.failing_accounts_per_ip_hour);
  const double day_threshold =
      static_cast<double>(options.failing_accounts_per_ip_day);
  if (hour / hour_threshold >= day / day_threshold) {
    return {hour, hour_threshold, kHour};
  }
  return {day, day_threshold, kDay};
}

template <typename Failures>
SignalScore ScoreAddressFailure(const Event& e, bool known_account,
                                const DetectorOptions& options,
                                Failures& ip) {
  const WindowSpec& w = options.windows;
  SignalScore score;
  ip.failing_accounts.Add(e.time_ms, e.account);
  if (!known_account) ip.unknown_accounts.Add(e.time_ms, e.account);
  const FailingAccounts f = CountFailing(e, options, ip);
  if (f.observed >= f.limit) {
    score.Add(50 + 4 * (f.observed - f.limit),
              Evidence{Feature::kFailingAccountsPerIp, f.observed, f.limit,
                       w.horizon_ms(f.horizon)});
    const double unknown = ip.unknown_accounts.Count(w, f.horizon, e.time_ms);
    if (unknown * 2 >= f.observed) {
      score.Add(10, Evidence{Feature::kUnknownAccountsPerIp, unknown, 0,
                             w.horizon_ms(f.horizon)});
    }
  }
  return score;
}

template <typename Failures>
SignalScore ScoreLoginFrom(const Event& e, const DetectorOptions& options,
                           const Failures& ip) {
  const FailingAccounts f = CountFailing(e, options, ip);
  if (f.observed < f.limit) return SignalScore();
  return LoginFromAttackingAddress(f.observed, f.limit,
                                   options.windows.horizon_ms(f.horizon));
}

}  // namespace

SignalScore LoginFromAttackingAddress(double observed, double limit,
                                      int64_t window_ms) {
  SignalScore score;
  score.Add(75, Evidence{Feature::kLoginFromAttackingAddress, observed, limit,
                         window_ms});
  return score;
}

SignalScore ObserveLoginFromAddress(
    const Event& e, const DetectorOptions& options,
    EntityTable<IpAddress, engine::AddressFewFailures>& few_sets,
    EntityTable<IpAddress, engine::AddressFailures>& wide_sets) {
  if (const engine::AddressFailures* wide = wide_sets.Find(e.ip)) {
    return ScoreLoginFrom(e, options, *wide);
  }
  if (const engine::AddressFewFailures* few = few_sets.Find(e.ip)) {
    return ScoreLoginFrom(e, options, *few);
  }
  return SignalScore();
}

SignalScore ObserveAddressFailure(const Event& e, bool known_account,
                                  const DetectorOptions& options,
                                  engine::AddressFailures& ip) {
  return ScoreAddressFailure(e, known_account, options, ip);
}

SignalScore ObserveAddressFailure(
    const Event& e, bool known_account, const DetectorOptions& options,
    EntityTable<IpAddress, engine::AddressFewFailures>& few_sets,
    EntityTable<IpAddress, engine::AddressFailures>& wide_sets) {
  few_sets.ExpireIdle(e.time_ms);
  wide_sets.ExpireIdle(e.time_ms);
  if (engine::AddressFailures* wide =
          wide_sets.FindAndTouch(e.ip, e.time_ms)) {
    return ScoreAddressFailure(e, known_account, options, *wide);
  }
  engine::AddressFewFailures& few = few_sets.FindOrCreate(e.ip, e.time_ms);
  // Its unknown accounts are some of its failing ones: while the failing
  // set has pushed none out, neither has the unknown set.
  if (!few.failing_accounts.WouldPushOut(e.account)) {
    return ScoreAddressFailure(e, known_account, options, few);
  }
  engine::AddressFailures& wide = wide_sets.FindOrCreate(e.ip, e.time_ms);
  wide.failing_accounts = few.failing_accounts.Widened<
      engine::kAddressFailingAccountsTracked>();
  wide.unknown_accounts = few.unknown_accounts.Widened<
      engine::kAddressUnknownAccountsTracked>();
  few_sets.Erase(e.ip);
  return ScoreAddressFailure(e, known_account, options, wide);
}

}  // namespace vigie
