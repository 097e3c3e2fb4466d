// DetectorOptions: everything the detection engine can be configured with,
// as a plain struct with documented defaults (the text-format
// vigie.v1.DetectorConfig maps onto it, see tools/config.h). Validated once
// by Detector::Create so the hot path cannot fail.
#ifndef VIGIE_DETECTOR_DETECTOR_OPTIONS_H_
#define VIGIE_DETECTOR_DETECTOR_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "detector/ip_address.h"
#include "detector/stats/window_spec.h"

namespace vigie {

struct DetectorOptions {
  // Event-time windows and lateness. Default: 1m, 10m, 1h, 24h; 5 s. The
  // engine reads horizon 0 as "the last minute", 2 as "the last hour" and
  // 3 as "the last day", so custom specs must keep four horizons.
  WindowSpec windows;
  // An entity whose fused risk reaches this opens an incident. Default: 60.
  double alert_threshold = 60;
  // An open incident is updated when its risk rises by this much.
  // Default: 10.
  double update_step = 10;
  // Incidents close after this long below the threshold. Default: 1 h.
  absl::Duration quiet_to_close = absl::Hours(1);
  // Floors under the learned baselines, so that a peer group with almost no
  // activity does not make every lookup suspicious. Defaults: 4 new people
  // a minute, 8 an hour, 500 exported records a day.
  double min_new_subjects_per_minute = 4;
  double min_new_subjects_per_hour = 8;
  double min_exported_records_per_day = 500;
  // An account younger than this (since its first event) is judged on
  // blatant volume over an hour and a day (the cold-start floors below),
  // on its peers' minute, and does not teach the baselines: everything is
  // new to a new account. Short, because an
  // account an attacker is the first to use (its owner never logged in
  // since the detector started) is young too; its owner's first reads are
  // judged against the profession's tail, which holds whole days of them.
  // Default: 2 h.
  absl::Duration account_learning_period = absl::Hours(2);
  // Until a peer group has a baseline (2,000 samples; for the hour and day
  // scales, a whole day of them), or over an hour and a day while an
  // account is young, only enumeration this blatant counts (a robot at one lookup every few seconds
  // does 1,000+ an hour). Defaults: 20 new people a minute, 500 an hour,
  // 3,000 a day.
  double cold_start_new_per_minute = 20;
  double cold_start_new_per_hour = 500;
  double cold_start_new_per_day = 3000;
  // Floor under the daily baseline. Default: 40 new people a day.
  double min_new_subjects_per_day = 40;
  // Brute force: failures on one account within an hour. Default: 10.
  int64_t account_failures_per_hour = 10;
  // Spray / stuffing: distinct accounts failing from one address within an
  // hour, and within a day. Defaults: 8 and 20. REQUIRES: below 32, the
  // failing accounts an address counts exactly (its state has a fixed
  // size, so that the memory cap holds under a botnet's stuffing).
  int64_t failing_accounts_per_ip_hour = 8;
  int64_t failing_accounts_per_ip_day = 20;
  // Shared infrastructure: distinct accounts logging in within an hour from
  // an address younger than a day. Default: 3. Address-level alerts of this
  // family are off by default (`shared_infrastructure_alerts`): without
  // network ownership data (libloc), carrier-NAT and hospital addresses
  // first seen after the learning day look just like attack infrastructure
  // and cost more false incidents than they add detections; the score still
  // counts as supporting evidence in an account's fused risk. REQUIRES:
  // 1..7 (an address counts up to 8 accounts exactly).
  int64_t accounts_per_new_ip_hour = 3;
  bool shared_infrastructure_alerts = false;
  // A login needs this many earlier logins before "new address for this
  // account" counts as evidence. Default: 3.
  int64_t logins_before_novelty = 3;
  // The peer baselines (the profession's and the population's quantiles of
  // new people per minute, hour and day, and the peer model's mean and
  // covariance) learn the bulk of their benign lookups, the values at or
  // below their 90th percentile, from one lookup in this many with weight
  // N, and their tails from every lookup (PeerBaseline::WeighLookup): the
  // 99.9th percentiles scoring reads keep the precision of learning
  // everything, for a third of the learning, which was a quarter of a
  // lookup's cost. Which lookups is a hash of the subject's keyed
  // pseudonym, the event time and the account, so the choice is the same
  // in a replay, a live run and after a resume, whatever the thread count,
  // and an intruder without the key cannot aim at it. Warm-up learns
  // everything. An account's own baseline learns from every lookup.
  // 1: every lookup whole (the alerts of builds before this option).
  // Default: 4. REQUIRES: 1..1024.
  uint32_t peer_sample_one_in = 4;
  // Pairs remembered by the novelty filter per generation. Default: 8 Mi.
  uint64_t novelty_capacity = uint64_t{1} << 23;
  // Hard cap on the detector's state, bytes: entity tables, novelty
  // memory, login population, open incidents (1/16 of it; beyond, the
  // incidents quiet for longest close early) and the professions' peer
  // baselines (1/32: as many professions as that holds at ~48 KiB each
  // get a baseline of their own, the rest share that of events without a
  // profession). Default: 512 MiB.
  size_t max_state_bytes = size_t{512} << 20;
  // Accounts are split by id over `shards` independent parts (their own
  // account table and novelty memory, each 1/shards of the budget); the
  // output depends on the shard count but never on `threads`, the number of
  // threads ObserveBatch spreads the shards over. Defaults: 8 shards,
  // 1 thread. REQUIRES: 1 <= shards <= 256, 1 <= threads <= shards.
  int shards = 8;
  int threads = 1;
  // libloc database for country / autonomous system of login addresses
  // (signal family 2) and impossible travel; empty: not used. Detector
  // creation fails if it is set but cannot be opened. Default: empty.
  std::string location_database;
  // Autonomous systems to treat as hosting providers, beyond the built-in
  // list (detector/geo/hosting_networks.h): a session that moves into one
  // is riskier. Default: none.
  std::vector<uint32_t> hosting_asns;
  // Consecutive logins from countries further apart than this speed allows
  // are impossible travel. Default: 1000 km/h.
  double max_travel_kmh = 1000;
  // Never alert on these account names or source networks (service
  // accounts, known egress); their events still feed the baselines.
  std::vector<std::string> allowlisted_accounts;
  struct Network {
    IpAddress address;
    int prefix_length;  // 0..32 for IPv4, 0..128 for IPv6.
  };
  std::vector<Network> allowlisted_networks;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_DETECTOR_OPTIONS_H_
