// ForkJoin: a fixed set of worker threads that run one function on every
// worker index and return when all have finished — the barrier-per-phase
// parallelism the sharded detector needs (no queues, no futures, no
// allocation per phase).
//
// Run(fn) calls fn(0) on the calling thread and fn(1..n-1) on the workers;
// it returns when all calls have returned. With one worker it is a plain
// call. Not reentrant; one Run at a time.
//
// Example:
//   ForkJoin pool(2);
//   pool.Run([&](int worker) { ProcessShardsOf(worker); });
#ifndef VIGIE_DETECTOR_INTERNAL_FORK_JOIN_H_
#define VIGIE_DETECTOR_INTERNAL_FORK_JOIN_H_

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
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      ++generation_;
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
    {
      std::lock_guard<std::mutex> lock(mu_);
      fn_ = &fn;
      pending_ = workers_ - 1;
      ++generation_;
    }
    start_.notify_all();
    fn(0);
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return pending_ == 0; });
    fn_ = nullptr;
  }

 private:
  void Loop(int index) {
    uint64_t seen = 0;
    for (;;) {
      absl::FunctionRef<void(int)>* fn;
      {
        std::unique_lock<std::mutex> lock(mu_);
        start_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (stop_) return;
        fn = fn_;
      }
      (*fn)(index);
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) done_.notify_one();
    }
  }

  const int workers_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable start_;
  std::condition_variable done_;
  absl::FunctionRef<void(int)>* fn_ = nullptr;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_INTERNAL_FORK_JOIN_H_
