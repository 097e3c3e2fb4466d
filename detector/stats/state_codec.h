// StateWriter / StateReader: the compact binary encoding that every
// statistics part uses to save its state into a Snapshot section
// (proto/snapshot.proto) and to restore it exactly.
//
// Little-endian fixed-width integers and IEEE doubles, plus length-prefixed
// byte strings. The reader never reads past its input: a short or damaged
// input makes it fail (ok() false), and the part's Decode returns DataLoss,
// never garbage. Parts write their own format version first.
//
// Thread-compatible. Example:
//   StateWriter w;
//   moments.Encode(w);
//   StateReader r(w.data());
//   absl::StatusOr<RunningMoments> back = RunningMoments::Decode(r);
#ifndef VIGIE_DETECTOR_STATS_STATE_CODEC_H_
#define VIGIE_DETECTOR_STATS_STATE_CODEC_H_

#include <cstdint>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace vigie {

class StateWriter {
 public:
  template <typename T>
  void Put(T value) {
    static_assert(std::is_trivially_copyable<T>::value, "plain values only");
    char bytes[sizeof(T)];
    memcpy(bytes, &value, sizeof(T));
    data_.append(bytes, sizeof(T));
  }
  void PutBytes(absl::string_view bytes) {
    Put<uint64_t>(bytes.size());
    data_.append(bytes.data(), bytes.size());
  }
  const std::string& data() const { return data_; }

 private:
  std::string data_;
};

class StateReader {
 public:
  explicit StateReader(absl::string_view data) : data_(data) {}

  template <typename T>
  T Get() {
    T value{};
    if (!ok_ || data_.size() - pos_ < sizeof(T)) {
      ok_ = false;
      return value;
    }
    memcpy(&value, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }
  absl::string_view GetBytes() {
    const uint64_t size = Get<uint64_t>();
    if (!ok_ || data_.size() - pos_ < size) {
      ok_ = false;
      return absl::string_view();
    }
    absl::string_view bytes = data_.substr(pos_, size);
    pos_ += size;
    return bytes;
  }
  // Marks the input as invalid (a value out of range).
  void Fail() { ok_ = false; }
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == data_.size(); }
  // Bytes not read yet: what a count read from the input may claim at
  // most, checked before anything is sized from it.
  size_t remaining() const { return data_.size() - pos_; }
  // DataLoss naming `what` unless everything read so far was valid.
  absl::Status Check(absl::string_view what) const {
    return ok_ ? absl::OkStatus()
               : absl::DataLossError(
                     absl::StrCat(what, ": truncated or corrupt state"));
  }

 private:
  absl::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_STATS_STATE_CODEC_H_
