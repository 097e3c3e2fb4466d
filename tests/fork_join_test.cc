// ForkJoin runs every unit of a phase exactly once and returns only when
// all have finished, whether the workers were polling, asleep or busy
// elsewhere when the phase began; a late worker never runs a unit of a
// phase that has ended; shutdown is clean in every state.
#include "detector/internal/fork_join.h"

#include <atomic>
#include <mutex>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace vigie {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

// Each unit's calls, counted by the unit itself: a Run that returned
// before a unit finished, or ran one twice or not at all, shows here.
void RunPhases(ForkJoin& pool, int phases, int units, microseconds gap) {
  std::vector<int> calls(units, 0);
  for (int phase = 0; phase < phases; ++phase) {
    pool.Run(units, [&](int unit) {
      ASSERT_GE(unit, 0);
      ASSERT_LT(unit, units);
      ++calls[unit];
    });
    for (int u = 0; u < units; ++u) {
      ASSERT_EQ(calls[u], phase + 1) << "unit " << u << ", phase " << phase;
    }
    if (gap.count() > 0) std::this_thread::sleep_for(gap);
  }
}

TEST(ForkJoin, RunsEveryUnitOncePerPhaseBackToBack) {
  for (int threads : {1, 2, 4}) {
    for (int units : {0, 1, 2, 8, 100}) {
      ForkJoin pool(threads);
      RunPhases(pool, 500, units, microseconds(0));
    }
  }
}

// Gaps longer than the workers poll: every phase finds them asleep.
TEST(ForkJoin, WakesWorkersThatWentToSleep) {
  for (int threads : {2, 3}) {
    ForkJoin pool(threads);
    RunPhases(pool, 20, 8, milliseconds(5));
  }
}

// Both threads take part when both are free: with units that each wait
// long enough for the worker to arrive, the worker runs some of them.
TEST(ForkJoin, WorkersClaimUnitsWhenTheyArriveInTime) {
  ForkJoin pool(2);
  std::mutex mu;
  std::set<std::thread::id> runners;
  for (int phase = 0; phase < 50; ++phase) {
    pool.Run(8, [&](int) {
      std::this_thread::sleep_for(milliseconds(1));
      std::lock_guard<std::mutex> lock(mu);
      runners.insert(std::this_thread::get_id());
    });
  }
  EXPECT_EQ(runners.size(), 2u);
}

// The caller never waits for a worker that is not there: short phases
// after the worker went to sleep are mostly over before it wakes (the
// caller claims every unit), and a worker that wakes late finds a phase
// that has ended. Each unit still runs once per phase.
TEST(ForkJoin, ReturnsWhetherOrNotTheWorkerComes) {
  ForkJoin pool(2);
  std::this_thread::sleep_for(milliseconds(20));  // The worker sleeps.
  for (int phase = 0; phase < 200; ++phase) {
    std::atomic<int> calls{0};
    pool.Run(3, [&](int) { calls.fetch_add(1); });
    ASSERT_EQ(calls.load(), 3);
  }
}

// The caller finishes its own units long before a slow one another thread
// claimed: it waits (polling, then asleep) and sees that unit's writes.
TEST(ForkJoin, WaitsForAClaimedSlowUnit) {
  ForkJoin pool(2);
  for (int phase = 0; phase < 5; ++phase) {
    std::vector<int> written(2, 0);
    pool.Run(2, [&](int unit) {
      std::this_thread::sleep_for(milliseconds(unit == 0 ? 1 : 8));
      written[unit] = phase + 1;
    });
    EXPECT_EQ(written[0], phase + 1);
    EXPECT_EQ(written[1], phase + 1);
  }
}

TEST(ForkJoin, StopsWithWorkersPollingOrAsleep) {
  { ForkJoin pool(3); }  // Never ran.
  {
    ForkJoin pool(3);
    RunPhases(pool, 3, 8, microseconds(0));
  }  // Destroyed while polling.
  {
    ForkJoin pool(3);
    RunPhases(pool, 1, 8, microseconds(0));
    std::this_thread::sleep_for(milliseconds(20));
  }  // Destroyed while asleep.
}

}  // namespace
}  // namespace vigie
