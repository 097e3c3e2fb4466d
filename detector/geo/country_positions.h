// Country positions for impossible travel: libloc tells a login's country,
// not its coordinates, so a small table gives each country one position
// (its capital, to a tenth of a degree) and a radius (how far a login can
// be from that point and still be in the country: 300 km for most, up to
// 2,500 km for the largest). The travel distance between two countries is
// the great-circle distance between the points minus both radii, so a
// crossing between neighbours is never "impossible".
//
// Countries not in the table (about 120 are, those of the portal's users
// and its attackers' usual origins) give no distance: no travel verdict.
//
// Example:
//   std::optional<double> km = TravelDistanceKm(CountryCode("FR"),
//                                               CountryCode("AU"));
#ifndef VIGIE_DETECTOR_GEO_COUNTRY_POSITIONS_H_
#define VIGIE_DETECTOR_GEO_COUNTRY_POSITIONS_H_

#include <cstdint>
#include <optional>

namespace vigie {

// The smallest distance between the two countries by the table (0 for the
// same country); nullopt if either is unknown.
std::optional<double> TravelDistanceKm(uint16_t country_a, uint16_t country_b);

}  // namespace vigie

#endif  // VIGIE_DETECTOR_GEO_COUNTRY_POSITIONS_H_
