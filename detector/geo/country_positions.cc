#include "detector/geo/country_positions.h"

#include <algorithm>
#include <cmath>

#include "detector/geo/country_code.h"

namespace vigie {
namespace {

struct Position {
  char code[3];
  double latitude;
  double longitude;
  double radius_km;
};

// Capitals, rounded; radius: how far the country extends from that point.
constexpr Position kPositions[] = {
    // Europe.
    {"FR", 48.9, 2.4, 600}, {"BE", 50.8, 4.4, 150}, {"NL", 52.4, 4.9, 200},
    {"LU", 49.6, 6.1, 50}, {"DE", 52.5, 13.4, 600}, {"CH", 46.9, 7.4, 200},
    {"AT", 48.2, 16.4, 400}, {"IT", 41.9, 12.5, 700}, {"ES", 40.4, -3.7, 600},
    {"PT", 38.7, -9.1, 400}, {"GB", 51.5, -0.1, 600}, {"IE", 53.3, -6.3, 250},
    {"DK", 55.7, 12.6, 300}, {"SE", 59.3, 18.1, 1000}, {"NO", 59.9, 10.8, 1200},
    {"FI", 60.2, 24.9, 800}, {"IS", 64.1, -21.9, 300}, {"PL", 52.2, 21.0, 400},
    {"CZ", 50.1, 14.4, 300}, {"SK", 48.1, 17.1, 350}, {"HU", 47.5, 19.0, 300},
    {"RO", 44.4, 26.1, 450}, {"BG", 42.7, 23.3, 300}, {"GR", 38.0, 23.7, 450},
    {"HR", 45.8, 16.0, 400}, {"SI", 46.1, 14.5, 150}, {"RS", 44.8, 20.5, 300},
    {"BA", 43.9, 18.4, 200}, {"AL", 41.3, 19.8, 200}, {"MK", 42.0, 21.4, 150},
    {"ME", 42.4, 19.3, 100}, {"EE", 59.4, 24.7, 250}, {"LV", 56.9, 24.1, 250},
    {"LT", 54.7, 25.3, 300}, {"UA", 50.5, 30.5, 800}, {"BY", 53.9, 27.6, 400},
    {"MD", 47.0, 28.9, 200}, {"RU", 55.8, 37.6, 2500}, {"TR", 39.9, 32.9, 900},
    {"CY", 35.2, 33.4, 120}, {"MT", 35.9, 14.5, 30}, {"MC", 43.7, 7.4, 5},
    {"AD", 42.5, 1.5, 20},
    // Africa.
    {"MA", 34.0, -6.8, 800}, {"DZ", 36.8, 3.1, 1500}, {"TN", 36.8, 10.2, 400},
    {"LY", 32.9, 13.2, 1200}, {"EG", 30.0, 31.2, 800}, {"SN", 14.7, -17.5, 400},
    {"CI", 5.3, -4.0, 500}, {"ML", 12.6, -8.0, 1200}, {"CM", 3.9, 11.5, 700},
    {"NG", 9.1, 7.5, 700}, {"GH", 5.6, -0.2, 400}, {"ZA", -25.7, 28.2, 1200},
    {"KE", -1.3, 36.8, 600}, {"ET", 9.0, 38.7, 800}, {"MG", -18.9, 47.5, 800},
    {"CD", -4.3, 15.3, 1500}, {"CG", -4.3, 15.2, 500}, {"GA", 0.4, 9.5, 400},
    {"BF", 12.4, -1.5, 400}, {"NE", 13.5, 2.1, 1000}, {"TD", 12.1, 15.0, 1000},
    {"GN", 9.5, -13.7, 400}, {"BJ", 6.5, 2.6, 400}, {"TG", 6.1, 1.2, 300},
    {"MU", -20.2, 57.5, 60}, {"RE", -20.9, 55.5, 50}, {"YT", -12.8, 45.2, 30},
    // Middle East.
    {"IL", 31.8, 35.2, 250}, {"LB", 33.9, 35.5, 120}, {"JO", 31.9, 35.9, 300},
    {"SA", 24.7, 46.7, 1300}, {"AE", 24.5, 54.4, 300}, {"QA", 25.3, 51.5, 100},
    {"IR", 35.7, 51.4, 1200}, {"IQ", 33.3, 44.4, 600}, {"SY", 33.5, 36.3, 400},
    {"KW", 29.4, 48.0, 120},
    // Asia.
    {"IN", 28.6, 77.2, 1800}, {"PK", 33.7, 73.1, 900}, {"BD", 23.8, 90.4, 300},
    {"CN", 39.9, 116.4, 2500}, {"HK", 22.3, 114.2, 30}, {"TW", 25.0, 121.5, 300},
    {"JP", 35.7, 139.7, 1200}, {"KR", 37.6, 127.0, 300}, {"VN", 21.0, 105.8, 1200},
    {"TH", 13.8, 100.5, 800}, {"SG", 1.3, 103.8, 30}, {"MY", 3.1, 101.7, 1000},
    {"ID", -6.2, 106.8, 2500}, {"PH", 14.6, 121.0, 900}, {"KZ", 51.2, 71.4, 1500},
    // Oceania.
    {"AU", -35.3, 149.1, 2500}, {"NZ", -41.3, 174.8, 800},
    {"NC", -22.3, 166.5, 300}, {"PF", -17.5, -149.6, 1000},
    // Americas.
    {"US", 38.9, -77.0, 2500}, {"CA", 45.4, -75.7, 2500}, {"MX", 19.4, -99.1, 1500},
    {"BR", -15.8, -47.9, 2500}, {"AR", -34.6, -58.4, 1800}, {"CL", -33.4, -70.6, 2000},
    {"CO", 4.7, -74.1, 800}, {"PE", -12.0, -77.0, 1000}, {"VE", 10.5, -66.9, 700},
    {"CU", 23.1, -82.4, 600}, {"GP", 16.0, -61.7, 50}, {"MQ", 14.6, -61.1, 40},
    {"GF", 4.9, -52.3, 300}, {"HT", 18.5, -72.3, 200}, {"PM", 46.8, -56.2, 20},
};

const Position* Find(uint16_t code) {
  for (const Position& p : kPositions) {
    if (CountryCode(p.code) == code) return &p;
  }
  return nullptr;
}

double GreatCircleKm(const Position& a, const Position& b) {
  constexpr double kEarthRadiusKm = 6371;
  constexpr double kRad = M_PI / 180;
  const double dlat = (b.latitude - a.latitude) * kRad;
  const double dlon = (b.longitude - a.longitude) * kRad;
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(a.latitude * kRad) * std::cos(b.latitude * kRad) *
                       std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(h)));
}

}  // namespace

std::optional<double> TravelDistanceKm(uint16_t country_a, uint16_t country_b) {
  if (country_a == 0 || country_b == 0) return std::nullopt;
  if (country_a == country_b) return 0.0;
  const Position* a = Find(country_a);
  const Position* b = Find(country_b);
  if (a == nullptr || b == nullptr) return std::nullopt;
  return std::max(0.0, GreatCircleKm(*a, *b) - a->radius_km - b->radius_km);
}

}  // namespace vigie
