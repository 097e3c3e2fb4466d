// NIR generation for the simulator: valid French social-security numbers
// (15 characters with a correct control key) for a population of people
// identified by index, and the numbers a sequential sweep walks through.
//
// Person i's NIR is a pure function of (seed, i), so panels and the shared
// population cost no memory. Fields: sex 1/2, birth year 00..99, month
// 01..12, department 01..95 (not 20) or 2A/2B, commune 001..999, order
// 001..999, key 97 - (n mod 97) with 2A -> 19, 2B -> 18.
//
// Thread-safe (pure functions). Example:
//   char nir[15];
//   PersonNir(/*seed=*/1, /*person=*/42, nir);
#ifndef VIGIE_TOOLS_SIMULATE_NIR_GENERATOR_H_
#define VIGIE_TOOLS_SIMULATE_NIR_GENERATOR_H_

#include <cstdint>

namespace vigie {
namespace simulate {

// Writes the 15 characters of person `person`'s NIR (no terminator).
void PersonNir(uint64_t seed, int64_t person, char out[15]);

// Writes a NIR whose first 10 characters come from `prefix_source`'s NIR
// and whose order number is `order` (1..999), with a valid key when
// `valid_key`, else a deliberately wrong one.
void SweepNir(uint64_t seed, int64_t prefix_source, int order, bool valid_key,
              char out[15]);

// Fills in the two key characters of a NIR whose first 13 are set.
void SetNirKey(char nir[15]);

}  // namespace simulate
}  // namespace vigie

#endif  // VIGIE_TOOLS_SIMULATE_NIR_GENERATOR_H_
