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
// Not thread-safe: one thread fills a batch, Seal()s it, then hands it
// over. Clear() keeps the memory for the next fill; RecordBatchPool keeps
// the batches a consumer is done with for the producers (thread-safe).
//
// Example:
//   RecordBatch batch;
//   RecordBatch::Item& item = batch.Add();
//   item.result = reader->Next(&item.record, &batch.next_error());
//   batch.Finish(item, reader->position(), reader->raw_bytes_read());
//   batch.Seal();  // Records' views now point into the batch.
//   ... on the consumer's side: batch.error(item) for an error item.
#ifndef VIGIE_DETECTOR_INGEST_RECORD_BATCH_H_
#define VIGIE_DETECTOR_INGEST_RECORD_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "detector/access_record.h"
#include "detector/record_reader.h"

namespace vigie {
namespace ingest_internal {

class RecordBatch {
 public:
  struct Item {
    RecordReader::Result result = RecordReader::Result::kEnd;
    AccessRecord record;  // Views into the batch once sealed.
    ReadPosition position_after;
    uint64_t raw_bytes_after = 0;
    // Of the record's texts in text_, or kInBacking.
    size_t offsets[5] = {};
    size_t error = 0;        // Its index in errors_, when kError.
  };

  // A new item to fill: its result and record, or the error next_error()
  // holds, which Finish then keeps for it.
  Item& Add() { return items_.emplace_back(); }
  RecordError& next_error() { return next_error_; }
  // The error of an error item; the consumer may move it out.
  RecordError& error(const Item& item) { return errors_[item.error]; }
  // Records where the reader stood after `item`, and copies the texts of
  // a record: the reader's views end at its next call.
  void Finish(Item& item, const ReadPosition& position, uint64_t raw_bytes) {
    item.position_after = position;
    item.raw_bytes_after = raw_bytes;
    if (item.result == RecordReader::Result::kError) {
      item.error = errors_.size();
      errors_.push_back(std::move(next_error_));
      next_error_ = RecordError();
    }
    if (item.result != RecordReader::Result::kRecord) return;
    for (int i = 0; i < 5; ++i) {
      const absl::string_view text = *TextField(item.record, i);
      if (InBacking(text)) {
        item.offsets[i] = kInBacking;
        continue;
      }
      item.offsets[i] = text_.size();
      text_.append(text.data(), text.size());
    }
  }
  // Texts within `backing` are kept as they are, not copied: for a
  // producer whose input outlives the batch's use (the parallel JSON Lines
  // reader keeps a chunk's window until its batch is consumed). Cleared
  // by Clear().
  void set_backing(absl::string_view backing) { backing_ = backing; }
  // The texts no longer grow: points the records' views into them.
  void Seal() {
    for (Item& item : items_) {
      if (item.result != RecordReader::Result::kRecord) continue;
      for (int i = 0; i < 5; ++i) {
        if (item.offsets[i] == kInBacking) continue;
        absl::string_view* field = TextField(item.record, i);
        *field = absl::string_view(text_.data() + item.offsets[i],
                                   field->size());
      }
    }
  }
  // Forgets the last item added (whose texts, if any, stay unused).
  void DropLast() { items_.pop_back(); }
  void Clear() {
    items_.clear();
    text_.clear();
    errors_.clear();
    backing_ = absl::string_view();
  }

  size_t size() const { return items_.size(); }
  size_t text_bytes() const { return text_.size(); }
  Item& operator[](size_t i) { return items_[i]; }

 private:
  static absl::string_view* TextField(AccessRecord& r, int i) {
    absl::string_view* fields[5] = {&r.account, &r.subject, &r.user_agent,
                                    &r.service, &r.profession};
    return fields[i];
  }

  static constexpr size_t kInBacking = ~size_t{0};  // An Item::offsets.
  bool InBacking(absl::string_view text) const {
    const auto begin = reinterpret_cast<uintptr_t>(backing_.data());
    const auto at = reinterpret_cast<uintptr_t>(text.data());
    return !backing_.empty() && at >= begin &&
           at + text.size() <= begin + backing_.size();
  }

  std::vector<Item> items_;
  absl::string_view backing_;
  std::string text_;  // The records' texts not in backing_, back to back.
  std::vector<RecordError> errors_;  // Of the error items, in order.
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
