// ForkJoin: a fixed set of worker threads that run one function on every
// worker index and return when all have finished — the barrier-per-phase
// parallelism the sharded detector needs (no queues, no futures, no
// allocation per phase).
//
// Run(fn) calls fn(0) on the calling thread and fn(1..n-1) on the workers;
// it returns when all calls have returned. With one worker it is a plain
// call. Not reentrant; one Run at a time.
//
// Waiting: the detector runs a phase for every batch of events (a minute
// of event time, often a few hundred microseconds of work), so a worker
// that went to sleep after each phase was woken ~5,000 times a second of
// detection: on a VM each wake-up of an idle vCPU took tens of
// microseconds, and two threads detected no faster than one. Workers and
// the caller therefore poll for a while (kSpins yields, ~0.1-0.2 ms when
// no other thread wants the CPU) before they sleep on a condition
// variable, so a phase that follows soon starts without a wake-up. They
// poll by yielding rather than spinning on a pause instruction: where
// threads outnumber cores (a replay's reading thread beside two detection
// threads on two cores) a pause spin took the CPU from the reader and made
// the replay ~60% slower; a yield hands it over.
//
// Thread-safe for one caller of Run at a time.
//
// Example:
//   ForkJoin pool(2);
//   pool.Run([&](int worker) { ProcessShardsOf(worker); });
#ifndef VIGIE_DETECTOR_INTERNAL_FORK_JOIN_H_
#define VIGIE_DETECTOR_INTERNAL_FORK_JOIN_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/functional/function_ref.h"

namespace vigie {

class ForkJoin {
 public:
  // REQUIRES: workers >= 1.
  explicit ForkJoin(int workers) : workers_(workers) {
    for (int i = 1; i < workers; ++i) {
      threads_.emplace_back([this, i] { Loop(i); });
    }
  }
  ~ForkJoin() {
    stop_.store(true);
    generation_.fetch_add(1);
    {
      std::lock_guard<std::mutex> lock(mu_);
    }
    start_.notify_all();
    for (std::thread& t : threads_) t.join();
  }
  ForkJoin(const ForkJoin&) = delete;
  ForkJoin& operator=(const ForkJoin&) = delete;

  int workers() const { return workers_; }

  void Run(absl::FunctionRef<void(int)> fn) {
    if (workers_ == 1) {
      fn(0);
      return;
    }
    fn_ = &fn;
    pending_.store(workers_ - 1);
    // Sequentially consistent with a sleeper's count and its own check of
    // the generation (see Loop): either the sleeper sees the new
    // generation, or this sees the sleeper and wakes it.
    generation_.fetch_add(1);
    if (sleepers_.load() > 0) {
      { std::lock_guard<std::mutex> lock(mu_); }
      start_.notify_all();
    }
    fn(0);
    for (int i = 0; i < kSpins && pending_.load() != 0; ++i) Pause();
    if (pending_.load() != 0) {
      std::unique_lock<std::mutex> lock(mu_);
      caller_sleeping_.store(true);
      done_.wait(lock, [this] { return pending_.load() == 0; });
      caller_sleeping_.store(false);
    }
    fn_ = nullptr;
  }

 private:
  // Yields a thread polls through before it sleeps.
  static constexpr int kSpins = 200;

  static void Pause() { std::this_thread::yield(); }

  void Loop(int index) {
    uint64_t seen = 0;
    for (;;) {
      for (int i = 0; i < kSpins && generation_.load() == seen; ++i) Pause();
      if (generation_.load() == seen) {
        std::unique_lock<std::mutex> lock(mu_);
        sleepers_.fetch_add(1);
        start_.wait(lock, [&] { return generation_.load() != seen; });
        sleepers_.fetch_sub(1);
      }
      seen = generation_.load();
      if (stop_.load()) return;
      (*fn_)(index);
      if (pending_.fetch_sub(1) == 1 && caller_sleeping_.load()) {
        { std::lock_guard<std::mutex> lock(mu_); }
        done_.notify_one();
      }
    }
  }

  const int workers_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable start_;
  std::condition_variable done_;
  // Set by Run before the generation moves; read by workers after.
  absl::FunctionRef<void(int)>* fn_ = nullptr;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> caller_sleeping_{false};
  std::atomic<bool> stop_{false};
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_INTERNAL_FORK_JOIN_H_
