// ForkJoin: runs a function on every unit of a phase (0..units-1) with the
// calling thread and a fixed set of worker threads, and returns when every
// unit is done — the barrier-per-phase parallelism the sharded detector
// needs (no queues, no futures, no allocation per phase).
//
// Units are claimed, not assigned: the caller and each worker take the next
// unclaimed unit until none is left, and the caller waits only for units
// that were claimed, never for a worker that has not woken up yet. A worker
// that arrives after the last unit was claimed finds nothing to do. So a
// phase never waits on a thread the OS has not scheduled: where threads
// outnumber cores (a replay's reading thread beside two detection threads
// on two cores) the caller does the work itself instead of waiting, and
// two threads are never much slower than one. Which thread runs a unit
// changes nothing for a caller whose units are independent.
//
// Waiting: the detector runs a phase for every batch of events (a minute
// of event time, often a few hundred microseconds of work), so a worker
// that went to sleep after each phase was woken ~5,000 times a second of
// detection; on a VM each wake-up of an idle vCPU took tens of
// microseconds. Workers and the caller therefore poll for a while (kSpins
// yields, ~0.1-0.2 ms when no other thread wants the CPU) before they sleep
// on a condition variable. They poll by yielding, not on a pause
// instruction, so that a thread that wants the CPU gets it.
//
// Run with one thread, or one unit, is a plain loop. Not reentrant; one
// Run at a time (thread-compatible for callers; workers are internal).
//
// Example:
//   ForkJoin pool(/*threads=*/2);
//   pool.Run(/*units=*/8, [&](int shard) { ProcessShard(shard); });
#ifndef VIGIE_DETECTOR_INTERNAL_FORK_JOIN_H_
#define VIGIE_DETECTOR_INTERNAL_FORK_JOIN_H_

#include <atomic>
#include <cassert>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/functional/function_ref.h"

namespace vigie {

class ForkJoin {
 public:
  // The most units a phase may have.
  static constexpr int kMaxUnits = 0xffff;

  // REQUIRES: threads >= 1 (the caller and threads - 1 workers).
  explicit ForkJoin(int threads) : threads_(threads) {
    for (int i = 1; i < threads; ++i) {
      workers_.emplace_back([this] { Loop(); });
    }
  }
  ~ForkJoin() {
    stop_.store(true);
    state_.store(state_.load() + (uint64_t{1} << 32));  // A new generation.
    { std::lock_guard<std::mutex> lock(mu_); }
    start_.notify_all();
    for (std::thread& t : workers_) t.join();
  }
  ForkJoin(const ForkJoin&) = delete;
  ForkJoin& operator=(const ForkJoin&) = delete;

  int threads() const { return threads_; }

  // Calls fn(u) once for every u in [0, units), on the caller and on any
  // worker that comes in time, and returns when all calls have returned.
  // REQUIRES: 0 <= units <= kMaxUnits.
  void Run(int units, absl::FunctionRef<void(int)> fn) {
    assert(units >= 0 && units <= kMaxUnits);
    if (threads_ == 1 || units <= 1) {
      for (int u = 0; u < units; ++u) fn(u);
      return;
    }
    fn_ = &fn;
    done_.store(0);
    // Publishes the phase: a new generation, its unit count, none claimed.
    // Sequentially consistent with a sleeper's count and its own check of
    // the state (see Loop): either the sleeper sees the new generation, or
    // this sees the sleeper and wakes it.
    const uint64_t generation = (state_.load() >> 32) + 1;
    state_.store(generation << 32 | uint64_t(units) << 16);
    if (sleepers_.load() > 0) {
      { std::lock_guard<std::mutex> lock(mu_); }
      start_.notify_all();
    }
    Work(generation);
    for (int i = 0; i < kSpins && done_.load() != units; ++i) Pause();
    if (done_.load() != units) {
      std::unique_lock<std::mutex> lock(mu_);
      caller_sleeping_.store(true);
      all_done_.wait(lock, [&] { return done_.load() == units; });
      caller_sleeping_.store(false);
    }
  }

 private:
  // Yields a thread polls through before it sleeps.
  static constexpr int kSpins = 200;

  static void Pause() { std::this_thread::yield(); }

  // Claims and runs units of `generation` until none is left. A claim
  // succeeds only while the state still holds that generation, so a late
  // thread never runs a unit of a phase that has ended (whose fn_ may be
  // gone).
  void Work(uint64_t generation) {
    uint64_t state = state_.load();
    while (true) {
      if ((state >> 32) != generation) return;
      const int units = static_cast<int>((state >> 16) & 0xffff);
      const int next = static_cast<int>(state & 0xffff);
      if (next >= units) return;
      if (!state_.compare_exchange_weak(state, state + 1)) continue;
      (*fn_)(next);
      if (done_.fetch_add(1) + 1 == units && caller_sleeping_.load()) {
        { std::lock_guard<std::mutex> lock(mu_); }
        all_done_.notify_one();
      }
      state = state_.load();
    }
  }

  void Loop() {
    uint64_t seen = 0;  // The last generation this worker took part in.
    const auto fresh = [&] { return (state_.load() >> 32) != seen; };
    for (;;) {
      for (int i = 0; i < kSpins && !fresh(); ++i) Pause();
      if (!fresh()) {
        std::unique_lock<std::mutex> lock(mu_);
        sleepers_.fetch_add(1);
        start_.wait(lock, fresh);
        sleepers_.fetch_sub(1);
      }
      if (stop_.load()) return;
      seen = state_.load() >> 32;
      Work(seen);
    }
  }

  const int threads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_;
  std::condition_variable all_done_;
  // The phase's function: set by Run before it publishes the phase, read
  // only by a thread that has claimed one of its units.
  absl::FunctionRef<void(int)>* fn_ = nullptr;
  // Generation (bits 32-63), units (16-31), next unclaimed unit (0-15).
  std::atomic<uint64_t> state_{0};
  std::atomic<int> done_{0};  // Units of the current phase finished.
  std::atomic<int> sleepers_{0};
  std::atomic<bool> caller_sleeping_{false};
  std::atomic<bool> stop_{false};
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_INTERNAL_FORK_JOIN_H_
