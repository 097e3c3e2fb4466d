#include "detector/engine/entity_state.h"

#include <algorithm>

namespace vigie {
namespace engine {
namespace {

template <typename T>
bool DecodeInto(StateReader& r, T* out) {
  absl::StatusOr<T> value = T::Decode(r);
  if (!value.ok()) {
    r.Fail();
    return false;
  }
  *out = std::move(value).value();
  return true;
}

void PutIp(StateWriter& w, const IpAddress& ip) {
  w.Put(ip.hi());
  w.Put(ip.lo());
}

IpAddress GetIp(StateReader& r) {
  const uint64_t hi = r.Get<uint64_t>();
  const uint64_t lo = r.Get<uint64_t>();
  return IpAddress::FromHalves(hi, lo);
}

}  // namespace

void EncodeAccount(StateWriter& w, const AccountState& a) {
  w.Put<uint8_t>(7);
  a.lookup_counts.Encode(w);
  a.lookup_gaps.Encode(w);
  a.hours.Encode(w);
  a.new_per_hour.Encode(w);
  w.Put<double>(a.last_volume_ratio);
  w.Put(a.first_seen_ms);
  w.Put<uint8_t>(a.seen);
  w.Put(a.last_nir_prefix);
  w.Put(a.last_nir_order);
  PutIp(w, a.login_ip);
  w.Put(a.previous_login_hash);
  w.Put(a.login_risk);
  w.Put(a.login_ms);
  w.Put<uint8_t>(a.login_unlikely);
  w.Put(a.logins);
  w.Put(a.failures_since_success);
  w.Put(a.profession);
  w.Put<double>(a.risk);
  for (uint16_t n : a.distinct_origins) w.Put(n);
  w.Put(a.login_country);
  w.Put(a.session_asn);
  w.Put(a.day_reported);
  w.Put(a.reported_minute);
}

bool DecodeAccount(StateReader& r, AccountState* a) {
  // Version 5 had no session AS: 0, unknown, until the next login;
  // versions 5 and 6 nothing reported.
  const uint8_t version = r.Get<uint8_t>();
  if (version < 5 || version > 7) r.Fail();
  if (!r.ok()) return false;
  DecodeInto(r, &a->lookup_counts) && DecodeInto(r, &a->lookup_gaps) &&
      DecodeInto(r, &a->hours) && DecodeInto(r, &a->new_per_hour);
  a->last_volume_ratio = static_cast<float>(r.Get<double>());
  a->first_seen_ms = r.Get<int64_t>();
  a->seen = r.Get<uint8_t>() != 0;
  a->last_nir_prefix = r.Get<uint32_t>();
  a->last_nir_order = r.Get<uint16_t>();
  a->login_ip = GetIp(r);
  if (version >= 6) {
    a->previous_login_hash = r.Get<uint32_t>();
    a->login_risk = std::min<uint8_t>(r.Get<uint8_t>(), 100);
  } else {
    a->previous_login_hash = AddressHash(GetIp(r));
  }
  a->login_ms = r.Get<int64_t>();
  a->login_unlikely = r.Get<uint8_t>() != 0;
  a->logins = r.Get<uint32_t>();
  a->failures_since_success = r.Get<uint32_t>();
  a->profession = r.Get<uint32_t>();
  a->risk = static_cast<float>(r.Get<double>());
  for (uint16_t& n : a->distinct_origins) n = r.Get<uint16_t>();
  a->login_country = r.Get<uint16_t>();
  a->session_asn = version >= 6 ? r.Get<uint32_t>() : 0;
  if (version >= 7) {
    a->day_reported = r.Get<uint16_t>();
    a->reported_minute = r.Get<int32_t>();
  }
  return r.ok();
}

void EncodeAccountWindows(StateWriter& w, const AccountFailuresAndExports& a) {
  w.Put<uint8_t>(1);
  a.failures.Encode(w);
  a.exported.Encode(w);
}

bool DecodeAccountWindows(StateReader& r, AccountFailuresAndExports* a) {
  if (r.Get<uint8_t>() != 1) r.Fail();
  if (!r.ok()) return false;
  DecodeInto(r, &a->failures) && DecodeInto(r, &a->exported);
  return r.ok();
}

void EncodeAddress(StateWriter& w, const AddressState& s) {
  w.Put<uint8_t>(7);
  w.Put(s.first_seen_ms);
  w.Put<uint8_t>(s.seen);
  w.Put<uint8_t>(s.allowlisted);
  w.Put<uint8_t>(s.allowlist_checked);
  w.Put<uint8_t>(s.located);
  w.Put(s.country);
  w.Put(s.asn);
  w.Put(s.lone_account);
  w.Put(s.lone_account_minute);
  w.Put<uint8_t>(s.accounts_in_table);
}

bool DecodeAddress(StateReader& r, AddressState* s) {
  if (r.Get<uint8_t>() != 7) r.Fail();
  if (!r.ok()) return false;
  s->first_seen_ms = r.Get<int64_t>();
  s->seen = r.Get<uint8_t>() != 0;
  s->allowlisted = r.Get<uint8_t>() != 0;
  s->allowlist_checked = r.Get<uint8_t>() != 0;
  s->located = r.Get<uint8_t>() != 0;
  s->country = r.Get<uint16_t>();
  s->asn = r.Get<uint32_t>();
  s->lone_account = r.Get<uint32_t>();
  s->lone_account_minute = r.Get<uint32_t>();
  s->accounts_in_table = r.Get<uint8_t>() != 0;
  return r.ok();
}

namespace {

// Both sizes of an address's failure sets (AddressFewFailures,
// AddressFailures), version 1; each set's codec checks its own size.
template <typename FailureSets>
void EncodeFailureSets(StateWriter& w, const FailureSets& f) {
  w.Put<uint8_t>(1);
  f.failing_accounts.Encode(w);
  f.unknown_accounts.Encode(w);
}

template <typename FailureSets>
bool DecodeFailureSets(StateReader& r, FailureSets* f) {
  if (r.Get<uint8_t>() != 1) r.Fail();
  if (!r.ok()) return false;
  DecodeInto(r, &f->failing_accounts) && DecodeInto(r, &f->unknown_accounts);
  return r.ok();
}

}  // namespace

void EncodeAddressFailures(StateWriter& w, const AddressFailures& f) {
  EncodeFailureSets(w, f);
}
bool DecodeAddressFailures(StateReader& r, AddressFailures* f) {
  return DecodeFailureSets(r, f);
}
void EncodeAddressFewFailures(StateWriter& w, const AddressFewFailures& f) {
  EncodeFailureSets(w, f);
}
bool DecodeAddressFewFailures(StateReader& r, AddressFewFailures* f) {
  return DecodeFailureSets(r, f);
}

void EncodeAddressAccounts(StateWriter& w, const AddressAccounts& a) {
  w.Put<uint8_t>(1);
  a.accounts.Encode(w);
}

bool DecodeAddressAccounts(StateReader& r, AddressAccounts* a) {
  if (r.Get<uint8_t>() != 1) r.Fail();
  if (!r.ok()) return false;
  DecodeInto(r, &a->accounts);
  return r.ok();
}

void EncodePeers(StateWriter& w, const PeerBaseline& p) {
  w.Put<uint8_t>(4);
  for (const PeerBaseline::Generation* g : {&p.current, &p.previous}) {
    g->new_per_minute.Encode(w);
    g->new_per_hour.Encode(w);
    g->new_per_day.Encode(w);
    g->exported_per_day.Encode(w);
    g->peer_distance.Encode(w);
  }
  w.Put(p.generation_start_ms);
  w.Put(p.lookup_samples);
  w.Put(p.export_samples);
  w.Put(p.samples_at_refresh);
  w.Put(p.new_per_minute_top);
  w.Put(p.new_per_hour_top);
  w.Put(p.new_per_day_top);
  w.Put(p.exported_per_day_top);
  w.Put<uint8_t>(p.lookups_warm_);
  w.Put<uint8_t>(p.exports_warm_);
  w.Put(p.new_per_minute_bulk);
  w.Put(p.new_per_hour_bulk);
  w.Put(p.new_per_day_bulk);
  w.Put(p.peer_distance_bulk);
  w.Put(p.samples_at_bounds);
  w.Put(p.learn_cap_minute);
  w.Put(p.learn_cap_hour);
  w.Put(p.learn_cap_day);
  p.model.Encode(w);
}

bool DecodePeers(StateReader& r, PeerBaseline* p) {
  // Version 2 (before the bulk bounds) reads with the bounds unknown: the
  // baseline learns every sample until its next refresh, a minute of event
  // time later at most.
  // Version 3 (before the learning caps) reads with none: the tail may
  // widen freely until the next rotation.
  const uint8_t version = r.Get<uint8_t>();
  if (version < 2 || version > 4) r.Fail();
  for (PeerBaseline::Generation* g : {&p->current, &p->previous}) {
    if (!r.ok()) return false;
    DecodeInto(r, &g->new_per_minute) && DecodeInto(r, &g->new_per_hour) &&
        DecodeInto(r, &g->new_per_day) &&
        DecodeInto(r, &g->exported_per_day) &&
        DecodeInto(r, &g->peer_distance);
  }
  p->generation_start_ms = r.Get<int64_t>();
  p->lookup_samples = r.Get<uint64_t>();
  p->export_samples = r.Get<uint64_t>();
  p->samples_at_refresh = r.Get<uint64_t>();
  p->new_per_minute_top = r.Get<double>();
  p->new_per_hour_top = r.Get<double>();
  p->new_per_day_top = r.Get<double>();
  p->exported_per_day_top = r.Get<double>();
  p->lookups_warm_ = r.Get<uint8_t>() != 0;
  // Derived, as Refresh derives it (the generations are read above).
  p->knows_a_day_ = p->lookups_warm_ && p->HoldsAPreviousDay();
  p->exports_warm_ = r.Get<uint8_t>() != 0;
  p->new_per_minute_bulk = p->new_per_hour_bulk = p->new_per_day_bulk =
      p->peer_distance_bulk = -1;
  p->samples_at_bounds = 0;
  if (version >= 3) {
    p->new_per_minute_bulk = r.Get<double>();
    p->new_per_hour_bulk = r.Get<double>();
    p->new_per_day_bulk = r.Get<double>();
    p->peer_distance_bulk = r.Get<double>();
    p->samples_at_bounds = r.Get<uint64_t>();
  }
  p->learn_cap_minute = p->learn_cap_hour = p->learn_cap_day = HUGE_VAL;
  if (version >= 4) {
    p->learn_cap_minute = r.Get<double>();
    p->learn_cap_hour = r.Get<double>();
    p->learn_cap_day = r.Get<double>();
    // A cap is a positive count or none (infinite).
    for (double cap : {p->learn_cap_minute, p->learn_cap_hour,
                       p->learn_cap_day}) {
      if (!(cap >= 1)) r.Fail();
    }
  }
  if (!r.ok()) return false;
  return p->model.Decode(r);
}

}  // namespace engine
}  // namespace vigie
