// HeapCounter: what the heap does while a test watches, for tests that
// prove the detector's allocation and memory promises.
//
// Linking //tests:heap_counter replaces the global operator new and delete
// of the test binary (every form, plain and aligned) with ones that count
// allocations made while counting is on, and track the bytes live on the
// heap at any time (malloc_usable_size of each block). Thread-safe
// (atomics); the counts include every thread's allocations.
//
// Example:
//   HeapCounter::StartCounting();
//   detector->Observe(event);
//   EXPECT_EQ(HeapCounter::StopCounting(), 0u);
#ifndef VIGIE_TESTS_HEAP_COUNTER_H_
#define VIGIE_TESTS_HEAP_COUNTER_H_

#include <cstdint>

namespace vigie {

class HeapCounter {
 public:
  // Resets the allocation count and counts from now on.
  static void StartCounting();
  // Stops counting; returns the allocations counted since StartCounting.
  static uint64_t StopCounting();
  // Bytes in heap blocks allocated through operator new and not yet freed.
  static int64_t LiveBytes();
};

}  // namespace vigie

#endif  // VIGIE_TESTS_HEAP_COUNTER_H_
