#include "detector/stats/windowed_distinct.h"

#include <algorithm>
#include <vector>

#include "detector/stats/hyperloglog.h"

namespace vigie {

void WindowedDistinct::Advance(const WindowSpec& spec, int64_t time_ms) {
  for (int h = 0; h < spec.num_horizons(); ++h) {
    const int64_t old_bucket = spec.BucketOf(h, newest_ms_);
    const int64_t new_bucket = spec.BucketOf(h, time_ms);
    const int64_t steps = std::min<int64_t>(new_bucket - old_bucket, kSlots);
    for (int64_t i = 1; i <= steps; ++i) last_[h][Slot(old_bucket + i)] = 0;
  }
  newest_ms_ = time_ms;
}

// Moves one "last seen" mark into or out of the bucket of time_ms, in every
// horizon whose ring still holds that bucket.
void WindowedDistinct::Adjust(const WindowSpec& spec, int64_t time_ms,
                              int32_t delta) {
  for (int h = 0; h < spec.num_horizons(); ++h) {
    const int64_t current = spec.BucketOf(h, newest_ms_);
    const int64_t bucket = spec.BucketOf(h, time_ms);
    if (bucket < current - WindowSpec::kBucketsPerHorizon) continue;
    last_[h][Slot(bucket)] += delta;
  }
}

// Forgets items last seen before the longest window's span.
void WindowedDistinct::Purge(const WindowSpec& spec) {
  const int longest = spec.num_horizons() - 1;
  const int64_t cutoff =
      spec.BucketOf(longest, newest_ms_) - WindowSpec::kBucketsPerHorizon;
  for (auto it = last_seen_.begin(); it != last_seen_.end();) {
    if (spec.BucketOf(longest, it->second) < cutoff) {
      last_seen_.erase(it++);
    } else {
      ++it;
    }
  }
  live_ = static_cast<int64_t>(last_seen_.size());
}

bool WindowedDistinct::Add(const WindowSpec& spec, const Options& options,
                           int64_t time_ms, uint64_t item) {
  if (!started_) {
    started_ = true;
    newest_ms_ = time_ms;
  } else if (time_ms < newest_ms_ - spec.lateness_ms()) {
    return false;
  }
  if (sketch_ != nullptr) {
    if (time_ms > newest_ms_) newest_ms_ = time_ms;
    SketchAdd(spec, time_ms, item);
    return true;
  }
  if (time_ms > newest_ms_) Advance(spec, time_ms);
  const int longest = spec.num_horizons() - 1;
  const int64_t bucket = spec.BucketOf(longest, newest_ms_);
  if (bucket != purged_bucket_) {
    purged_bucket_ = bucket;
    Purge(spec);
  }
  auto [it, inserted] = last_seen_.try_emplace(item, time_ms);
  if (!inserted) {
    if (time_ms <= it->second) return true;  // Already seen later.
    Adjust(spec, it->second, -1);
    it->second = time_ms;
  } else {
    ++live_;
  }
  Adjust(spec, time_ms, +1);
  if (live_ > options.exact_limit) Promote(spec, options);
  return true;
}

void WindowedDistinct::Promote(const WindowSpec& spec, const Options& options) {
  sketch_ = std::make_unique<Sketch>();
  sketch_->precision = options.precision;
  sketch_->registers.resize(size_t{1} << options.precision);
  // Insert in time order so that each register's list stays sorted.
  std::vector<std::pair<int64_t, uint64_t>> items;
  items.reserve(last_seen_.size());
  for (const auto& [item, time] : last_seen_) items.emplace_back(time, item);
  std::sort(items.begin(), items.end());
  for (const auto& [time, item] : items) SketchAdd(spec, time, item);
  last_seen_ = {};
  last_ = {};
  live_ = 0;
}

void WindowedDistinct::SketchAdd(const WindowSpec& spec, int64_t time_ms,
                                 uint64_t item) {
  const int p = sketch_->precision;
  const uint64_t index = item >> (64 - p);
  const uint64_t rest = item << p;
  const uint8_t rank = rest == 0 ? static_cast<uint8_t>(64 - p + 1)
                                 : static_cast<uint8_t>(__builtin_clzll(rest) + 1);
  std::vector<Entry>& list = sketch_->registers[index];
  // Drop entries that left the longest window.
  const int longest = spec.num_horizons() - 1;
  const int64_t cutoff =
      spec.BucketOf(longest, newest_ms_) - WindowSpec::kBucketsPerHorizon;
  size_t expired = 0;
  while (expired < list.size() &&
         spec.BucketOf(longest, list[expired].time_ms) < cutoff) {
    ++expired;
  }
  if (expired > 0) list.erase(list.begin(), list.begin() + expired);
  // Position by time; the list keeps times increasing, ranks decreasing.
  auto pos = std::upper_bound(
      list.begin(), list.end(), time_ms,
      [](int64_t t, const Entry& e) { return t < e.time_ms; });
  // Dominated by a later entry of at least the same rank?
  for (auto it = pos; it != list.end(); ++it) {
    if (it->rank >= rank) return;
  }
  // Remove earlier entries it dominates.
  auto first_dominated = pos;
  while (first_dominated != list.begin() &&
         std::prev(first_dominated)->rank <= rank) {
    --first_dominated;
  }
  pos = list.erase(first_dominated, pos);
  list.insert(pos, Entry{time_ms, rank});
}

double WindowedDistinct::Count(const WindowSpec& spec, int h,
                               int64_t now_ms) const {
  if (!started_) return 0;
  const int64_t now = std::max(now_ms, newest_ms_);
  const int64_t cutoff = spec.BucketOf(h, now) - WindowSpec::kBucketsPerHorizon;
  if (sketch_ == nullptr) {
    const int64_t newest = spec.BucketOf(h, newest_ms_);
    int64_t total = 0;
    for (int64_t b = std::max(cutoff, newest - WindowSpec::kBucketsPerHorizon);
         b <= newest; ++b) {
      total += last_[h][Slot(b)];
    }
    return static_cast<double>(total);
  }
  const int p = sketch_->precision;
  std::vector<uint8_t> registers(size_t{1} << p, 0);
  for (size_t i = 0; i < registers.size(); ++i) {
    for (const Entry& e : sketch_->registers[i]) {
      if (spec.BucketOf(h, e.time_ms) >= cutoff) {
        registers[i] = e.rank;  // The first in-window entry has the max rank.
        break;
      }
    }
  }
  return HyperLogLog::EstimateFromRegisters(registers.data(), p);
}

void WindowedDistinct::Encode(StateWriter& w) const {
  w.Put<uint8_t>(1);
  w.Put<uint8_t>(started_);
  w.Put(newest_ms_);
  w.Put<uint8_t>(sketch_ != nullptr);
  if (sketch_ == nullptr) {
    w.Put(live_);
    w.Put(purged_bucket_);
    for (const auto& horizon : last_) {
      for (int32_t v : horizon) w.Put(v);
    }
    std::vector<std::pair<uint64_t, int64_t>> items(last_seen_.begin(),
                                                    last_seen_.end());
    std::sort(items.begin(), items.end());
    w.Put<uint64_t>(items.size());
    for (const auto& [item, time] : items) {
      w.Put(item);
      w.Put(time);
    }
    return;
  }
  w.Put<int32_t>(sketch_->precision);
  for (const auto& list : sketch_->registers) {
    w.Put<uint32_t>(static_cast<uint32_t>(list.size()));
    for (const Entry& e : list) {
      w.Put(e.time_ms);
      w.Put(e.rank);
    }
  }
}

absl::StatusOr<WindowedDistinct> WindowedDistinct::Decode(StateReader& r) {
  WindowedDistinct d;
  if (r.Get<uint8_t>() != 1) r.Fail();
  d.started_ = r.Get<uint8_t>() != 0;
  d.newest_ms_ = r.Get<int64_t>();
  const bool sketch = r.Get<uint8_t>() != 0;
  if (!sketch) {
    d.live_ = r.Get<int64_t>();
    d.purged_bucket_ = r.Get<int64_t>();
    for (auto& horizon : d.last_) {
      for (int32_t& v : horizon) v = r.Get<int32_t>();
    }
    const uint64_t n = r.Get<uint64_t>();
    if (n > (uint64_t{1} << 32)) r.Fail();
    for (uint64_t i = 0; r.ok() && i < n; ++i) {
      const uint64_t item = r.Get<uint64_t>();
      d.last_seen_[item] = r.Get<int64_t>();
    }
  } else {
    const int32_t p = r.Get<int32_t>();
    if (p < 4 || p > 18) r.Fail();
    absl::Status status = r.Check("windowed distinct");
    if (!status.ok()) return status;
    d.sketch_ = std::make_unique<Sketch>();
    d.sketch_->precision = p;
    d.sketch_->registers.resize(size_t{1} << p);
    for (auto& list : d.sketch_->registers) {
      const uint32_t n = r.Get<uint32_t>();
      if (n > 64) r.Fail();
      for (uint32_t i = 0; r.ok() && i < n; ++i) {
        Entry e;
        e.time_ms = r.Get<int64_t>();
        e.rank = r.Get<uint8_t>();
        list.push_back(e);
      }
      if (!r.ok()) break;
    }
  }
  absl::Status status = r.Check("windowed distinct");
  if (!status.ok()) return status;
  return d;
}

size_t WindowedDistinct::bytes() const {
  size_t total = sizeof(*this);
  if (sketch_ == nullptr) {
    // flat_hash_map: one slot (16 bytes) plus one control byte per
    // capacity entry.
    return total + last_seen_.capacity() * (sizeof(uint64_t) + sizeof(int64_t) + 1);
  }
  total += sizeof(Sketch) +
           sketch_->registers.size() * sizeof(std::vector<Entry>);
  for (const auto& list : sketch_->registers) {
    total += list.capacity() * sizeof(Entry);
  }
  return total;
}

}  // namespace vigie
