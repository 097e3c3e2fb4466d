#include "detector/geo/location_database.h"

#include <netinet/in.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

extern "C" {
#include <libloc/database.h>
#include <libloc/libloc.h>
#include <libloc/network.h>
}

#include "absl/strings/str_cat.h"

namespace vigie {

absl::StatusOr<std::unique_ptr<LocationDatabase>> LocationDatabase::Open(
    const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) {
    const int error = errno;
    return absl::NotFoundError(absl::StrCat("location database ", path, ": ",
                                            std::strerror(error)));
  }
  loc_ctx* ctx = nullptr;
  if (loc_new(&ctx) != 0) {
    std::fclose(f);
    return absl::InternalError("location database: libloc failed to start");
  }
  // libloc logs to stderr by default; errors are reported through Status.
  loc_set_log_priority(ctx, 0);
  loc_database* db = nullptr;
  const int error = loc_database_new(ctx, &db, f);
  std::fclose(f);
  if (error != 0 || db == nullptr) {
    loc_unref(ctx);
    return absl::DataLossError(absl::StrCat(
        "location database ", path, ": not a libloc database (error ", error,
        ")"));
  }
  return std::unique_ptr<LocationDatabase>(new LocationDatabase(ctx, db));
}

LocationDatabase::~LocationDatabase() {
  loc_database_unref(db_);
  loc_unref(ctx_);
}

Location LocationDatabase::Lookup(const IpAddress& ip) const {
  in6_addr address;
  const uint64_t halves[2] = {ip.hi(), ip.lo()};
  for (int i = 0; i < 16; ++i) {
    address.s6_addr[i] =
        static_cast<uint8_t>(halves[i / 8] >> (8 * (7 - i % 8)));
  }
  loc_network* network = nullptr;
  Location where;
  absl::MutexLock lock(&mutex_);
  if (loc_database_lookup(db_, &address, &network) != 0 || network == nullptr) {
    return where;
  }
  const char* country = loc_network_get_country_code(network);
  if (country != nullptr) where.country = CountryCode(country);
  where.asn = loc_network_get_asn(network);
  where.anonymous =
      loc_network_has_flag(network, LOC_NETWORK_FLAG_ANONYMOUS_PROXY) != 0;
  loc_network_unref(network);
  return where;
}

}  // namespace vigie
