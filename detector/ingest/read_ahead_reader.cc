#include "detector/ingest/read_ahead_reader.h"

#include <deque>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "detector/ingest/record_batch.h"

namespace vigie {
namespace {

using ingest_internal::RecordBatch;
using Batch = RecordBatch;

class ReadAheadReader : public RecordReader {
 public:
  ReadAheadReader(std::unique_ptr<RecordReader> inner,
                  const ReadAheadOptions& options)
      : RecordReader(inner->source_name()),
        inner_(std::move(inner)),
        options_(options),
        position_(inner_->position()),
        raw_bytes_(inner_->raw_bytes_read()) {}

  ~ReadAheadReader() override {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }

  Result Next(AccessRecord* record, RecordError* error) override {
    if (!thread_.joinable() && !finished_) {
      thread_ = std::thread([this] { Produce(); });
    }
    while (current_ == nullptr || next_item_ == current_->size()) {
      if (finished_) return Result::kEnd;
      std::unique_ptr<Batch> batch;
      {
        absl::MutexLock lock(&mu_);
        // The previous record's views end here; its batch goes back to the
        // reading thread, which refills it without allocating.
        if (current_ != nullptr) pool_.Give(std::move(current_));
        mu_.Await(absl::Condition(
            +[](ReadAheadReader* r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu_) {
              return !r->ready_.empty() || r->produced_all_;
            },
            this));
        if (ready_.empty()) {
          finished_ = true;
          return Result::kEnd;
        }
        batch = std::move(ready_.front());
        ready_.pop_front();
      }
      current_ = std::move(batch);
      next_item_ = 0;
    }
    const RecordBatch::Item& item = (*current_)[next_item_++];
    position_ = item.position_after;
    raw_bytes_ = item.raw_bytes_after;
    if (item.result == Result::kRecord) {
      current_->RecordOf(item, record);
    } else if (item.result == Result::kError) {
      *error = std::move(current_->error(item));
    } else {
      finished_ = true;
    }
    return item.result;
  }

  InputFormat format() const override { return inner_->format(); }
  uint64_t raw_bytes_read() const override { return raw_bytes_; }
  ReadPosition position() const override { return position_; }
  absl::Status SeekTo(const ReadPosition& position) override {
    absl::Status status = inner_->SeekTo(position);
    position_ = inner_->position();
    raw_bytes_ = inner_->raw_bytes_read();
    return status;
  }

 private:
  // The reading thread: fills batches until the wrapped reader ends, and
  // hands them over, at most max_batches ahead.
  void Produce() {
    bool ended = false;
    while (!ended) {
      std::unique_ptr<Batch> batch = pool_.Take();
      while (batch->size() < options_.batch_records &&
             batch->text_bytes() < options_.batch_bytes) {
        const Result result =
            inner_->Next(&batch->record(), &batch->next_error());
        batch->Add(result, inner_->position(), inner_->raw_bytes_read());
        if (result == Result::kEnd) {
          ended = true;
          break;
        }
      }
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](ReadAheadReader* r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu_) {
            return r->stopping_ || r->ready_.size() < r->options_.max_batches;
          },
          this));
      if (stopping_) return;
      ready_.push_back(std::move(batch));
    }
    absl::MutexLock lock(&mu_);
    produced_all_ = true;
  }


  std::unique_ptr<RecordReader> inner_;  // Used by the thread once started.
  const ReadAheadOptions options_;
  std::thread thread_;

  // The consumer's side.
  std::unique_ptr<Batch> current_;
  size_t next_item_ = 0;
  bool finished_ = false;
  ReadPosition position_;
  uint64_t raw_bytes_ = 0;

  absl::Mutex mu_;
  std::deque<std::unique_ptr<Batch>> ready_ ABSL_GUARDED_BY(mu_);
  ingest_internal::RecordBatchPool pool_;  // At most max_batches + 1 exist.
  bool produced_all_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

std::unique_ptr<RecordReader> NewReadAheadReader(
    std::unique_ptr<RecordReader> inner, const ReadAheadOptions& options) {
  return std::make_unique<ReadAheadReader>(std::move(inner), options);
}

}  // namespace vigie
