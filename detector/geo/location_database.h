// LocationDatabase: the country and autonomous system of an address, read
// offline from a libloc database (IPFire's location database; Debian's
// libloc-database package installs /var/lib/location/database.db).
//
// Why: login risk (signal family 2) weighs a login's AS and country against
// the account's and the population's history, and impossible travel needs
// the country of consecutive logins. The database is optional: without it
// those features are simply absent.
//
// Lookups go through libloc's memory-mapped tree (a few hundred ns and one
// small allocation inside libloc); the engine calls it once per address it
// starts tracking and caches the answer in the address's state, and for
// the rare lookup that comes from another address than its session's.
// Thread-safe: lookups are serialised by a mutex (libloc's objects are
// reference-counted without atomics).
//
// Example:
//   auto db = LocationDatabase::Open("/var/lib/location/database.db");
//   Location where = (*db)->Lookup(IpAddress::Parse("193.51.24.1").value());
//   // where.country == CountryCode("FR"), where.asn == 2200
#ifndef VIGIE_DETECTOR_GEO_LOCATION_DATABASE_H_
#define VIGIE_DETECTOR_GEO_LOCATION_DATABASE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "detector/geo/country_code.h"
#include "detector/ip_address.h"

struct loc_ctx;
struct loc_database;

namespace vigie {

struct Location {
  uint16_t country = 0;  // 0: unknown.
  uint32_t asn = 0;      // 0: unknown.
  bool anonymous = false;  // libloc's "anonymous proxy" flag (A1).
};

class LocationDatabase {
 public:
  // NotFound if the file does not exist, DataLoss if libloc cannot read it.
  static absl::StatusOr<std::unique_ptr<LocationDatabase>> Open(
      const std::string& path);
  ~LocationDatabase();
  LocationDatabase(const LocationDatabase&) = delete;
  LocationDatabase& operator=(const LocationDatabase&) = delete;

  // Unknown fields stay 0 (private, reserved and unrouted addresses).
  Location Lookup(const IpAddress& ip) const;

 private:
  LocationDatabase(loc_ctx* ctx, loc_database* db) : ctx_(ctx), db_(db) {}
  loc_ctx* ctx_;
  loc_database* db_;
  mutable absl::Mutex mutex_;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_GEO_LOCATION_DATABASE_H_
