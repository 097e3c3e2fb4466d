#include "tools/simulate/world.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace vigie {
namespace simulate {
namespace {

struct Field {
  const char* name;
  double World::*probability;  // Null for hospital_nat_pool.
};

constexpr Field kFields[] = {
    {"hospital_share", &World::hospital_share},
    {"mobile_share", &World::mobile_share},
    {"ipv6_share", &World::ipv6_share},
    {"vpn_share", &World::vpn_share},
    {"multi_site_share", &World::multi_site_share},
    {"shared_practice_share", &World::shared_practice_share},
    {"roaming_session", &World::roaming_session},
    {"dual_stack", &World::dual_stack},
    {"ipv6_privacy", &World::ipv6_privacy},
    {"cgnat_per_connection", &World::cgnat_per_connection},
    {"mobile_session", &World::mobile_session},
    {"vpn_session", &World::vpn_session},
    {"isp_renumbering", &World::isp_renumbering},
    {"traveller", &World::traveller},
    {"night_on_call", &World::night_on_call},
    {"new_device", &World::new_device},
    {"hospital_nat_pool", nullptr},
};

World CityFibre() {
  World w;
  w.name = "city_fibre";
  w.hospital_share = 0.08;
  w.mobile_share = 0.08;
  w.ipv6_share = 0.30;
  w.vpn_share = 0.03;
  w.multi_site_share = 0.08;
  w.shared_practice_share = 0.30;
  w.roaming_session = 0.01;
  w.isp_renumbering = 0.005;
  w.traveller = 0.015;
  return w;
}

World RuralMobile() {
  World w;
  w.name = "rural_mobile";
  w.hospital_share = 0.05;
  w.mobile_share = 0.55;
  w.ipv6_share = 0.10;
  w.vpn_share = 0.005;
  w.multi_site_share = 0.10;
  w.shared_practice_share = 0.05;
  w.roaming_session = 0.10;
  w.cgnat_per_connection = 0.6;
  w.mobile_session = 0.5;
  w.isp_renumbering = 0.05;  // ADSL lines renumbered at each resync.
  w.night_on_call = 0.02;
  return w;
}

World HospitalGroup() {
  World w;
  w.name = "hospital_group";
  w.hospital_share = 0.40;
  w.mobile_share = 0.10;
  w.ipv6_share = 0.10;
  w.multi_site_share = 0.20;
  w.shared_practice_share = 0.10;
  w.roaming_session = 0.03;
  w.night_on_call = 0.01;
  w.hospital_nat_pool = 16;
  return w;
}

World Ipv6Heavy() {
  World w;
  w.name = "ipv6_heavy";
  w.mobile_share = 0.25;
  w.ipv6_share = 0.75;
  w.dual_stack = 0.5;
  w.ipv6_privacy = 0.5;
  w.roaming_session = 0.04;
  w.isp_renumbering = 0.02;
  return w;
}

}  // namespace

std::vector<std::string> WorldNames() {
  return {"mixed", "city_fibre", "rural_mobile", "hospital_group",
          "ipv6_heavy"};
}

absl::StatusOr<World> NamedWorld(absl::string_view name) {
  if (name == "mixed") return World();
  if (name == "city_fibre") return CityFibre();
  if (name == "rural_mobile") return RuralMobile();
  if (name == "hospital_group") return HospitalGroup();
  if (name == "ipv6_heavy") return Ipv6Heavy();
  return absl::NotFoundError(absl::StrCat("unknown world '", name,
                                          "' (worlds: ",
                                          absl::StrJoin(WorldNames(), ", "),
                                          ")"));
}

absl::Status SetWorldParameter(absl::string_view key, absl::string_view value,
                               World* world) {
  for (const Field& f : kFields) {
    if (key != f.name) continue;
    if (f.probability == nullptr) {
      int pool = 0;
      if (!absl::SimpleAtoi(value, &pool) || pool < 1 || pool > 64) {
        return absl::InvalidArgumentError(absl::StrCat(
            "world parameter '", key, "': expected an integer in 1..64, got '",
            value, "'"));
      }
      world->hospital_nat_pool = pool;
      return absl::OkStatus();
    }
    double p = 0;
    if (!absl::SimpleAtod(value, &p) || !(p >= 0 && p <= 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("world parameter '", key,
                       "': expected a probability in [0, 1], got '", value,
                       "'"));
    }
    world->*(f.probability) = p;
    return absl::OkStatus();
  }
  std::vector<std::string> names;
  for (const Field& f : kFields) names.push_back(f.name);
  return absl::InvalidArgumentError(
      absl::StrCat("unknown world parameter '", key,
                   "' (parameters: ", absl::StrJoin(names, ", "), ")"));
}

std::string DescribeWorld(const World& world) {
  std::string out;
  for (const Field& f : kFields) {
    if (f.probability == nullptr) {
      absl::StrAppend(&out, f.name, "=", world.hospital_nat_pool, "\n");
    } else {
      absl::StrAppend(&out, f.name, "=", world.*(f.probability), "\n");
    }
  }
  return out;
}

}  // namespace simulate
}  // namespace vigie
