// RecordBatch: what a reader yielded, item by item (records with their
// texts copied into the batch, errors, the end), with where the reader
// stood after each, for handing a reader's output from the thread that
// parsed it to the thread that consumes it.
//
// Why: a reader's record views end at its next call, so a record parsed
// on one thread and used on another must own its texts; keeping them back
// to back in one string per batch costs one copy and no allocation once
// the batch is reused (and none at all for texts in a backing that the
// producer keeps alive as long as the batch is used). Used by
// ReadAheadReader and the parallel JSON Lines reader, whose consumers must
// see exactly what a reader on their own thread would have given them.
//
// Errors are rare and heavy (four strings): they are kept apart from the
// items, which stay plain values that clearing does not visit.
//
// Not thread-safe: one thread fills a batch, then hands it over. Clear()
// keeps the memory for the next fill; RecordBatchPool keeps the batches a
// consumer is done with for the producers (thread-safe).
//
// Example:
//   RecordBatch batch;
//   RecordReader::Result result =
//       reader->Next(&batch.record(), &batch.next_error());
//   batch.Add(result, reader->position(), reader->raw_bytes_read());
//   ... on the consumer's side, for item batch[i]: batch.RecordOf(item,
//   &record) for a record, batch.error(item) for an error.
#ifndef VIGIE_DETECTOR_INGEST_RECORD_BATCH_H_
#define VIGIE_DETECTOR_INGEST_RECORD_BATCH_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "detector/access_record.h"
#include "detector/event.h"
#include "detector/ip_address.h"
#include "detector/record_reader.h"

namespace vigie {
namespace ingest_internal {

class RecordBatch {
 public:
  // An item as kept: a record's fields with its texts as places in the
  // batch (or in its backing), 112 bytes instead of an AccessRecord's
  // views and their places (the batches in flight are larger than the
  // caches, so every byte of an item is written and read from memory).
  struct Item {
    RecordReader::Result result = RecordReader::Result::kEnd;
    ReadPosition position_after;
    uint64_t raw_bytes_after = 0;
    int64_t time_ms = 0;
    uint64_t records = 0;
    IpAddress ip;
    // Of the record's texts: where each is in text_ (or, with kInBacking
    // set, in backing_) and its size. Both stay under 2 GiB: a batch
    // stops at its producer's batch bytes (1 MiB by default), a record is
    // at most max_record_bytes (1 GiB at most) and a backing is one input
    // window.
    uint32_t text_at[5] = {};
    uint32_t text_size[5] = {};
    uint32_t error = 0;  // Its index in errors_, when kError.
    Action action = Action::kLogin;
    Outcome outcome = Outcome::kSuccess;
    bool has_records = false;
  };

  // What the producer fills before each Add: the reader's record (its
  // views may end at the reader's next call) and its error.
  AccessRecord& record() { return record_; }
  RecordError& next_error() { return next_error_; }
  // Keeps an item for `result`: the record() (its texts copied, unless in
  // the backing) or the next_error() (moved), and where the reader stood
  // after it.
  void Add(RecordReader::Result result, const ReadPosition& position,
           uint64_t raw_bytes) {
    Item& item = items_.emplace_back();
    item.result = result;
    item.position_after = position;
    item.raw_bytes_after = raw_bytes;
    if (result == RecordReader::Result::kError) {
      item.error = static_cast<uint32_t>(errors_.size());
      errors_.push_back(std::move(next_error_));
      next_error_ = RecordError();
    }
    if (result != RecordReader::Result::kRecord) return;
    const AccessRecord& r = record_;
    item.time_ms = r.time_ms;
    item.records = r.records;
    item.ip = r.ip;
    item.action = r.action;
    item.outcome = r.outcome;
    item.has_records = r.has_records;
    const absl::string_view texts[5] = {r.account, r.subject, r.user_agent,
                                        r.service, r.profession};
    // Room for all five at once, then plain copies: five appends to a
    // std::string each checked and grew it out of line, as costly as the
    // copies themselves.
    size_t copied = 0;
    for (const absl::string_view text : texts) {
      if (!InBacking(text)) copied += text.size();
    }
    if (text_size_ + copied > text_capacity_) GrowText(text_size_ + copied);
    for (int i = 0; i < 5; ++i) {
      const absl::string_view text = texts[i];
      item.text_size[i] = static_cast<uint32_t>(text.size());
      if (InBacking(text)) {
        item.text_at[i] = kInBacking | static_cast<uint32_t>(
                                           text.data() - backing_.data());
        continue;
      }
      item.text_at[i] = static_cast<uint32_t>(text_size_);
      if (!text.empty()) {
        memcpy(text_.get() + text_size_, text.data(), text.size());
      }
      text_size_ += text.size();
    }
  }
  // Texts within `backing` are kept as they are, not copied: for a
  // producer whose input outlives the batch's use (the parallel JSON Lines
  // reader keeps a chunk's window until its batch is consumed). At most
  // 2 GiB. Cleared by Clear().
  void set_backing(absl::string_view backing) { backing_ = backing; }
  // Forgets the last item added (whose texts, if any, stay unused).
  void DropLast() { items_.pop_back(); }
  void Clear() {
    items_.clear();
    text_size_ = 0;
    errors_.clear();
    backing_ = absl::string_view();
  }

  size_t size() const { return items_.size(); }
  size_t text_bytes() const { return text_size_; }
  const Item& operator[](size_t i) const { return items_[i]; }
  // The record of a kRecord item, its views into the batch (or backing).
  void RecordOf(const Item& item, AccessRecord* out) const {
    out->time_ms = item.time_ms;
    out->records = item.records;
    out->ip = item.ip;
    out->action = item.action;
    out->outcome = item.outcome;
    out->has_records = item.has_records;
    out->account = TextOf(item, 0);
    out->subject = TextOf(item, 1);
    out->user_agent = TextOf(item, 2);
    out->service = TextOf(item, 3);
    out->profession = TextOf(item, 4);
  }
  // The error of an error item; the consumer may move it out.
  RecordError& error(const Item& item) { return errors_[item.error]; }

 private:
  static constexpr uint32_t kInBacking = uint32_t{1} << 31;
  bool InBacking(absl::string_view text) const {
    const auto begin = reinterpret_cast<uintptr_t>(backing_.data());
    const auto at = reinterpret_cast<uintptr_t>(text.data());
    return !backing_.empty() && at >= begin &&
           at + text.size() <= begin + backing_.size();
  }
  absl::string_view TextOf(const Item& item, int i) const {
    const uint32_t at = item.text_at[i];
    const char* base = (at & kInBacking) != 0 ? backing_.data() : text_.get();
    return absl::string_view(base + (at & ~kInBacking), item.text_size[i]);
  }

  // Doubles the text buffer (at least to `needed` bytes), keeping what it
  // holds. Out of line: a reused batch's buffer already fits.
  __attribute__((noinline)) void GrowText(size_t needed) {
    const size_t capacity =
        std::max<size_t>({needed, 2 * text_capacity_, 4096});
    std::unique_ptr<char[]> grown(new char[capacity]);
    if (text_size_ > 0) memcpy(grown.get(), text_.get(), text_size_);
    text_ = std::move(grown);
    text_capacity_ = capacity;
  }

  std::vector<Item> items_;
  absl::string_view backing_;
  // The records' texts not in backing_, back to back: text_size_ bytes
  // used of text_capacity_ (kept across Clear, for a reused batch).
  std::unique_ptr<char[]> text_;
  size_t text_size_ = 0;
  size_t text_capacity_ = 0;
  std::vector<RecordError> errors_;  // Of the error items, in order.
  AccessRecord record_;
  RecordError next_error_;
};

// Batches handed back by their consumer, for the producing threads to
// refill without allocating (and page-faulting) new ones. Thread-safe.
// Clearing a batch does not visit its items (see above).
static_assert(std::is_trivially_destructible_v<RecordBatch::Item>);

class RecordBatchPool {
 public:
  // An emptied batch handed back, or a new one.
  std::unique_ptr<RecordBatch> Take() {
    std::unique_ptr<RecordBatch> batch;
    {
      absl::MutexLock lock(&mu_);
      if (!spare_.empty()) {
        batch = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    if (batch == nullptr) return std::make_unique<RecordBatch>();
    batch->Clear();
    return batch;
  }
  // REQUIRES: nothing refers to the batch's records any more.
  void Give(std::unique_ptr<RecordBatch> batch) {
    absl::MutexLock lock(&mu_);
    spare_.push_back(std::move(batch));
  }

 private:
  absl::Mutex mu_;
  std::vector<std::unique_ptr<RecordBatch>> spare_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ingest_internal
}  // namespace vigie

#endif  // VIGIE_DETECTOR_INGEST_RECORD_BATCH_H_
