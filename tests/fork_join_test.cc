// ForkJoin runs every worker index once per Run and returns only when all
// have finished, whether the workers were polling or asleep when the Run
// began, and shuts down cleanly in either state.
#include "detector/internal/fork_join.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace vigie {
namespace {

// Each index's calls, counted by the index itself: a Run that returned
// before a worker finished, or ran an index twice, shows in the counts.
void RunPhases(ForkJoin& pool, int phases, std::chrono::microseconds gap) {
  std::vector<int> calls(pool.workers(), 0);
  for (int phase = 0; phase < phases; ++phase) {
    pool.Run([&](int worker) {
      ASSERT_GE(worker, 0);
      ASSERT_LT(worker, pool.workers());
      ++calls[worker];
    });
    for (int w = 0; w < pool.workers(); ++w) {
      ASSERT_EQ(calls[w], phase + 1) << "worker " << w << ", phase " << phase;
    }
    if (gap.count() > 0) std::this_thread::sleep_for(gap);
  }
}

TEST(ForkJoin, RunsEveryWorkerOncePerPhaseBackToBack) {
  for (int workers : {1, 2, 4}) {
    ForkJoin pool(workers);
    RunPhases(pool, 2000, std::chrono::microseconds(0));
  }
}

// Gaps longer than the workers poll: every phase finds them asleep.
TEST(ForkJoin, WakesWorkersThatWentToSleep) {
  for (int workers : {2, 3}) {
    ForkJoin pool(workers);
    RunPhases(pool, 20, std::chrono::milliseconds(5));
  }
}

// The caller finishes its own share long before a slow worker: it must
// wait (polling, then asleep) and see the worker's writes.
TEST(ForkJoin, WaitsForASlowWorker) {
  ForkJoin pool(2);
  for (int phase = 0; phase < 5; ++phase) {
    int written = 0;
    pool.Run([&](int worker) {
      if (worker == 1) {
        std::this_thread::sleep_for(std::chrono::milliseconds(3));
        written = phase + 1;
      }
    });
    EXPECT_EQ(written, phase + 1);
  }
}

TEST(ForkJoin, StopsWithWorkersPollingOrAsleep) {
  { ForkJoin pool(3); }  // Never ran.
  {
    ForkJoin pool(3);
    RunPhases(pool, 3, std::chrono::microseconds(0));
  }  // Destroyed while polling.
  {
    ForkJoin pool(3);
    RunPhases(pool, 1, std::chrono::microseconds(0));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }  // Destroyed while asleep.
}

}  // namespace
}  // namespace vigie
