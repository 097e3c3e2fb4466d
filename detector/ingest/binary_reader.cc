// Binary reader: length-delimited vigie.v1.AccessEvent records.
//
// The wire format is decoded by hand, zero-copy (strings are views into the
// input window), because this is the fast path for repeated replays and the
// generated parser would allocate a message per record. Unknown fields are
// skipped, so logs written by a newer schema still read. Tests check this
// decoder against the generated protobuf code.
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "detector/ingest/field_decoder.h"
#include "detector/ingest/readers.h"

namespace vigie {
namespace ingest_internal {
namespace {

// Reads a base-128 varint. Returns bytes used, 0 if incomplete, -1 if
// longer than 10 bytes.
inline int ReadVarint(const uint8_t* p, const uint8_t* end, uint64_t* value) {
  // Every tag, length and enum of an AccessEvent but its time and a large
  // record count fits in one byte.
  if (p < end && *p < 0x80) {
    *value = *p;
    return 1;
  }
  uint64_t result = 0;
  for (int i = 0; i < 10; ++i) {
    if (p + i >= end) return 0;
    uint8_t byte = p[i];
    result |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      *value = result;
      return i + 1;
    }
  }
  return -1;
}

class BinaryReader : public RecordReader {
 public:
  BinaryReader(std::unique_ptr<InputBuffer> input, std::string name,
               const ReaderOptions& options)
      : RecordReader(std::move(name)),
        input_(std::move(input)),
        max_record_bytes_(options.max_record_bytes) {}

  InputFormat format() const override { return InputFormat::kBinary; }
  uint64_t raw_bytes_read() const override {
    return input_->source().raw_bytes_read();
  }
  ReadPosition position() const override {
    return ReadPosition{input_->bytes_consumed(), record_index_ + 1};
  }
  absl::Status SeekTo(const ReadPosition& position) override {
    absl::Status status =
        SkipInputTo(*input_, position.byte_offset, source_name());
    if (status.ok()) record_index_ = position.line_or_record - 1;
    return status;
  }

  Result Next(AccessRecord* record, RecordError* error) override {
    if (done_) return Result::kEnd;
    const int64_t index = ++record_index_;
    // Length prefix.
    uint64_t length = 0;
    int prefix = 0;
    while (true) {
      absl::string_view in = input_->available();
      const uint8_t* p = reinterpret_cast<const uint8_t*>(in.data());
      prefix = ReadVarint(p, p + in.size(), &length);
      if (prefix < 0) {
        return Fatal(index, absl::StatusCode::kDataLoss,
                     "malformed record length", error);
      }
      if (prefix > 0) break;
      absl::Status status = Refill();
      if (!status.ok()) return FatalStatus(index, status, error);
      if (input_->eof()) {
        if (input_->available().empty()) {
          done_ = true;
          return Result::kEnd;
        }
        return Fatal(index, absl::StatusCode::kDataLoss,
                     "truncated record length", error);
      }
    }
    if (length > max_record_bytes_) {
      return Fatal(index, absl::StatusCode::kDataLoss,
                   absl::StrCat("record length ", length,
                                " exceeds the limit of ", max_record_bytes_,
                                " bytes"),
                   error);
    }
    while (input_->available().size() < prefix + length) {
      absl::Status status = Refill();
      if (!status.ok()) return FatalStatus(index, status, error);
      if (input_->eof() && input_->available().size() < prefix + length) {
        return Fatal(index, absl::StatusCode::kDataLoss,
                     absl::StrCat("truncated record: ", length,
                                  " bytes announced, ",
                                  input_->available().size() - prefix,
                                  " present"),
                     error);
      }
    }
    absl::string_view message = input_->available().substr(prefix, length);
    input_->Consume(prefix + length);  // Bytes stay valid until Fill().
    if (!Decode(message, record, error) || !ValidateRecord(*record, Utf8::kCheck, error)) {
      error->source = source_name();
      error->position = index;
      error->position_is_record = true;
      return Result::kError;
    }
    return Result::kRecord;
  }

 private:
  absl::Status Refill() {
    absl::StatusOr<size_t> added = input_->Fill();
    return added.status();
  }

  Result Fatal(int64_t index, absl::StatusCode code, std::string reason,
               RecordError* error) {
    done_ = true;
    error->code = code;
    error->source = source_name();
    error->position = index;
    error->position_is_record = true;
    error->field.clear();
    error->value.clear();
    error->reason = std::move(reason);
    error->fatal = true;
    return Result::kError;
  }

  Result FatalStatus(int64_t index, const absl::Status& status,
                     RecordError* error) {
    done_ = true;
    SetFatalInputError(status, error);
    error->source = source_name();
    error->position = index;
    error->position_is_record = true;
    return Result::kError;
  }

  // `detail` is a fixed text (it is part of the error's kind); what
  // varies goes in `value`.
  static bool Malformed(RecordError* error, absl::string_view detail,
                        absl::string_view value = "") {
    error->code = absl::StatusCode::kInvalidArgument;
    error->field.clear();
    error->value.clear();
    if (!value.empty()) SetErrorValue(value, error);
    error->reason = absl::StrCat("malformed AccessEvent message: ", detail);
    error->fatal = false;
    return false;
  }

  bool Decode(absl::string_view message, AccessRecord* record,
              RecordError* error) {
    // Field by field: assigning a temporary AccessRecord() goes through
    // the stack, and reading it back stalls on store forwarding (a fifth
    // of this function's time).
    static_assert(sizeof(AccessRecord) == 128,
                  "a field was added to AccessRecord: reset it here too");
    record->time_ms = 0;
    record->account = {};
    record->ip = IpAddress();
    record->action = Action::kLogin;
    record->outcome = Outcome::kSuccess;
    record->subject = {};
    record->has_records = false;
    record->records = 0;
    record->user_agent = {};
    record->service = {};
    record->profession = {};
    const uint8_t* p = reinterpret_cast<const uint8_t*>(message.data());
    const uint8_t* end = p + message.size();
    absl::string_view ip_bytes;
    bool has_ip = false;
    uint64_t action = 0;
    uint64_t outcome = 0;
    while (p < end) {
      uint64_t tag;
      int n = ReadVarint(p, end, &tag);
      if (n <= 0) return Malformed(error, "bad field tag");
      p += n;
      const uint32_t number = static_cast<uint32_t>(tag >> 3);
      const int wire = static_cast<int>(tag & 7);
      uint64_t varint = 0;
      absl::string_view bytes;
      switch (wire) {
        case 0:
          n = ReadVarint(p, end, &varint);
          if (n <= 0) return Malformed(error, "bad varint");
          p += n;
          break;
        case 1:
          if (end - p < 8) return Malformed(error, "truncated fixed64");
          p += 8;
          break;
        case 2: {
          uint64_t size;
          n = ReadVarint(p, end, &size);
          if (n <= 0) return Malformed(error, "bad length");
          p += n;
          if (size > static_cast<uint64_t>(end - p)) {
            return Malformed(error, "length runs past the record");
          }
          bytes = absl::string_view(reinterpret_cast<const char*>(p), size);
          p += size;
          break;
        }
        case 5:
          if (end - p < 4) return Malformed(error, "truncated fixed32");
          p += 4;
          break;
        default:
          return Malformed(error, "unknown wire type", absl::StrCat(wire));
      }
      const int expected_wire =
          (number == 1 || number == 4 || number == 5 || number == 7) ? 0 : 2;
      if (number >= 1 && number <= 10 && wire != expected_wire) {
        return Malformed(error, "a field has the wrong wire type",
                         absl::StrCat("field ", number, ", wire type ", wire));
      }
      switch (number) {
        case 1: record->time_ms = static_cast<int64_t>(varint); break;
        case 2: record->account = bytes; break;
        case 3: ip_bytes = bytes; has_ip = true; break;
        case 4: action = varint; break;
        case 5: outcome = varint; break;
        case 6: record->subject = bytes; break;
        case 7:
          record->has_records = true;
          record->records = varint;
          break;
        case 8: record->user_agent = bytes; break;
        case 9: record->service = bytes; break;
        case 10: record->profession = bytes; break;
        default: break;  // Unknown field: skipped.
      }
    }
    if (record->time_ms == 0) {
      SetFieldError(kTime, "", "missing required value", error);
      return false;
    }
    if (record->account.empty()) {
      SetFieldError(kAccount, "", "missing required value", error);
      return false;
    }
    if (!has_ip || ip_bytes.empty()) {
      SetFieldError(kIp, "", "missing required value", error);
      return false;
    }
    absl::StatusOr<IpAddress> ip = IpAddress::FromBytes(ip_bytes);
    if (!ip.ok()) {
      SetFieldError(kIp, absl::StrCat(ip_bytes.size(), " bytes"),
                    "expected 4 or 16 bytes", error);
      return false;
    }
    record->ip = *ip;
    if (action == 0) {
      SetFieldError(kAction, "", "missing required value", error);
      return false;
    }
    if (action > 6) {
      SetFieldError(kAction, absl::StrCat(action), "unknown action", error);
      return false;
    }
    record->action = static_cast<Action>(action);
    if (outcome > 3) {
      SetFieldError(kOutcome, absl::StrCat(outcome), "unknown outcome",
                    error);
      return false;
    }
    record->outcome =
        outcome == 0 ? Outcome::kSuccess : static_cast<Outcome>(outcome);
    return true;
  }

  std::unique_ptr<InputBuffer> input_;
  size_t max_record_bytes_;
  bool done_ = false;
  int64_t record_index_ = 0;
};

}  // namespace

std::unique_ptr<RecordReader> NewBinaryReader(
    std::unique_ptr<InputBuffer> input, std::string name,
    const ReaderOptions& options) {
  return std::make_unique<BinaryReader>(std::move(input), std::move(name),
                                        options);
}

}  // namespace ingest_internal
}  // namespace vigie
