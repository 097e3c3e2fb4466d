// ECS JSON Lines reader, parsing each line with simdjson's On-Demand API.
//
// Each line is one JSON object. Fields are found by their ECS path whether
// written as nested objects ({"user":{"name":"x"}}) or dotted keys
// ({"user.name":"x"}), or a mix; a field given twice is an error rather than
// a silent choice. simdjson validates UTF-8 for the whole line up front and
// unescapes strings into its own buffer, which is reused between lines.
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "detector/ingest/field_decoder.h"
#include "detector/ingest/readers.h"

namespace vigie {
namespace ingest_internal {
namespace {

namespace od = simdjson::ondemand;

constexpr size_t kMaxPath = 256;
constexpr int kMaxDepth = 16;

// a == b for the short texts of ECS paths, without a call to memcmp.
bool SameText(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  size_t i = 0;
  for (; i + 8 <= a.size(); i += 8) {
    uint64_t x, y;
    memcpy(&x, a.data() + i, 8);
    memcpy(&y, b.data() + i, 8);
    if (x != y) return false;
  }
  for (; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

class JsonLinesReader : public TextReaderBase {
 public:
  JsonLinesReader(std::unique_ptr<InputBuffer> input, std::string name,
                  const ReaderOptions& options)
      : TextReaderBase(std::move(input), std::move(name)),
        max_record_bytes_(options.max_record_bytes) {}

  InputFormat format() const override { return InputFormat::kJsonLines; }

  Result Next(AccessRecord* record, RecordError* error) override {
    while (!done_) {
      absl::string_view line;
      size_t consumed = 0;
      bool too_long = false;
      if (!NextLine(&line, &consumed, &too_long)) break;
      const int64_t line_number = line_++;
      if (too_long) {
        SetError(line_number, "",
                 absl::StrCat("record longer than ", max_record_bytes_,
                              " bytes"),
                 error);
        return Result::kError;
      }
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      bool blank = true;
      for (char c : line) {
        if (c != ' ' && c != '\t') {
          blank = false;
          break;
        }
      }
      if (blank) {
        input_->Consume(consumed);
        continue;
      }
      bool ok = Parse(line, record, error);
      // Views into the line stay valid: Consume does not move bytes.
      input_->Consume(consumed);
      if (!ok) {
        // Name the field as this format spells it.
        for (int f = 0; f < kFieldCount; ++f) {
          if (error->field == FieldName(f)) {
            error->field = std::string(EcsFieldName(f));
            break;
          }
        }
        error->source = source_name();
        error->position = line_number;
        error->position_is_record = false;
        return Result::kError;
      }
      return Result::kRecord;
    }
    if (fatal_pending_) return TakeFatal(line_, error);
    return Result::kEnd;
  }

 private:
  void SetError(int64_t line, absl::string_view field, std::string reason,
                RecordError* error) {
    SetLineError(source_name(), line, field, "", std::move(reason), error);
  }

  // Finds the next line (without its '\n'). An over-long line is skipped
  // whole and reported through *too_long. False at the end of input.
  bool NextLine(absl::string_view* line, size_t* consumed, bool* too_long) {
    size_t searched = 0;
    while (true) {
      absl::string_view in = input_->available();
      const void* nl =
          memchr(in.data() + searched, '\n', in.size() - searched);
      if (nl != nullptr) {
        size_t length = static_cast<const char*>(nl) - in.data();
        if (length > max_record_bytes_) {
          input_->Consume(length + 1);
          *too_long = true;
          return true;
        }
        *line = in.substr(0, length);
        *consumed = length + 1;
        return true;
      }
      searched = in.size();
      if (in.size() > max_record_bytes_) {
        // Discard the over-long line up to its end.
        while (true) {
          absl::string_view rest = input_->available();
          const void* end = memchr(rest.data(), '\n', rest.size());
          if (end != nullptr) {
            input_->Consume(static_cast<const char*>(end) - rest.data() + 1);
            break;
          }
          input_->Consume(rest.size());
          if (!Refill()) break;
        }
        *too_long = true;
        return true;
      }
      if (!Refill()) {
        if (done_) return false;  // Input failure.
        in = input_->available();
        if (in.empty()) {
          done_ = true;
          return false;
        }
        *line = in;  // Last line without a newline.
        *consumed = in.size();
        return true;
      }
    }
  }

  bool Parse(absl::string_view line, AccessRecord* record, RecordError* error) {
    fields_.Clear();
    std::fill(seen_null_, seen_null_ + kFieldCount, false);
    od::document doc;
    // The input window guarantees SIMDJSON_PADDING readable bytes after
    // every available byte.
    simdjson::error_code code =
        parser_.iterate(line.data(), line.size(),
                        line.size() + InputBuffer::kPadding)
            .get(doc);
    od::object object;
    if (code == simdjson::SUCCESS) code = doc.get_object().get(object);
    if (code == simdjson::INCORRECT_TYPE) {
      SetError(0, "", "not a JSON object", error);
      return false;
    }
    if (code == simdjson::SUCCESS) {
      path_length_ = 0;
      leaf_ = 0;
      if (!Walk(object, 0, &code, error)) {
        if (code == simdjson::SUCCESS) return false;  // Field error set.
      }
    }
    const char* trailing = nullptr;
    if (code == simdjson::SUCCESS &&
        doc.current_location().get(trailing) == simdjson::SUCCESS) {
      SetError(0, "", "invalid JSON: trailing content after the object",
               error);
      return false;
    }
    if (code != simdjson::SUCCESS) {
      SetError(0, "",
               code == simdjson::UTF8_ERROR
                   ? std::string("invalid UTF-8")
                   : absl::StrCat("invalid JSON: ",
                                  simdjson::error_message(code)),
               error);
      return false;
    }
    return DecodeTextFields(fields_, Utf8::kAlreadyValid, times_, record,
                            error);
  }

  // Visits every member of `object`, recording the ECS fields. Returns
  // false with *code set on a JSON error, or with a field error in *error.
  bool Walk(od::object& object, int depth, simdjson::error_code* code,
            RecordError* error) {
    if (depth > kMaxDepth) {
      SetError(0, "", "objects nested too deeply", error);
      return false;
    }
    for (auto member_result : object) {
      od::field member;
      if ((*code = std::move(member_result).get(member))) return false;
      std::string_view key;
      if ((*code = member.unescaped_key().get(key))) return false;
      const size_t saved_length = path_length_;
      const bool fits = path_length_ + key.size() + 1 < kMaxPath;
      if (fits) {
        memcpy(path_ + path_length_, key.data(), key.size());
        path_length_ += key.size();
      }
      od::value value = member.value();
      od::json_type type;
      if ((*code = value.type().get(type))) return false;
      if (type == od::json_type::object) {
        od::object child;
        if ((*code = value.get_object().get(child))) return false;
        if (fits) path_[path_length_++] = '.';
        bool ok = fits ? Walk(child, depth + 1, code, error)
                       : SkipObject(child, code);
        path_length_ = saved_length;
        if (!ok) return false;
        continue;
      }
      int field = fits ? MatchLeaf(absl::string_view(path_, path_length_))
                       : -1;
      path_length_ = saved_length;
      if (field < 0) continue;  // Unknown keys are ignored (and skipped).
      if (!fields_.value[field].empty() || seen_null_[field]) {
        SetFieldError(field, "", "duplicate field", error);
        return false;
      }
      switch (type) {
        case od::json_type::string: {
          std::string_view text;
          if ((*code = value.get_string().get(text))) return false;
          fields_.value[field] = absl::string_view(text.data(), text.size());
          if (text.empty()) seen_null_[field] = true;
          break;
        }
        case od::json_type::number: {
          if (field != kTime && field != kRecords) {
            SetFieldError(field, "", "expected a string", error);
            return false;
          }
          std::string_view token = value.raw_json_token();
          while (!token.empty() &&
                 (token.back() == ' ' || token.back() == '\t' ||
                  token.back() == '\r' || token.back() == '\n')) {
            token.remove_suffix(1);
          }
          fields_.value[field] = absl::string_view(token.data(), token.size());
          break;
        }
        case od::json_type::null:
          seen_null_[field] = true;
          break;
        default:
          SetFieldError(field, "",
                        field == kTime || field == kRecords
                            ? "expected a string or a number"
                            : "expected a string",
                        error);
          return false;
      }
    }
    return true;
  }

  bool SkipObject(od::object& object, simdjson::error_code* code) {
    for (auto member_result : object) {
      od::field member;
      if ((*code = std::move(member_result).get(member))) return false;
    }
    return true;
  }

  int MatchField(absl::string_view path) {
    for (int f = 0; f < kFieldCount; ++f) {
      if (path == EcsFieldName(f)) return f;
    }
    return -1;
  }
  static constexpr int kLeafHints = 32;  // Leaves remembered per line.
  static std::array<int, kLeafHints> MakeNoHints() {
    std::array<int, kLeafHints> hints;
    hints.fill(-1);
    return hints;
  }
  // MatchField for the record's next leaf (a value that is not an object).
  // A log's lines mostly share one layout, so the field the same leaf
  // matched in the previous line is tried first: one comparison instead of
  // a search, and the same answer.
  int MatchLeaf(absl::string_view path) {
    const int leaf = leaf_++;
    if (leaf >= kLeafHints) return MatchField(path);
    const int hint = leaf_hints_[leaf];
    if (hint >= 0 && SameText(path, EcsFieldName(hint))) return hint;
    const int field = MatchField(path);
    if (field >= 0) leaf_hints_[leaf] = field;
    return field;
  }

  size_t max_record_bytes_;
  od::parser parser_;
  TextFields fields_;
  EventTimeParser times_;
  bool seen_null_[kFieldCount] = {};
  char path_[kMaxPath];
  size_t path_length_ = 0;
  // The field each leaf of the previous record matched (-1: none yet).
  std::array<int, kLeafHints> leaf_hints_ = MakeNoHints();
  int leaf_ = 0;  // Leaves of the current record so far.
};

}  // namespace

std::unique_ptr<RecordReader> NewJsonLinesReader(
    std::unique_ptr<InputBuffer> input, std::string name,
    const ReaderOptions& options) {
  return std::make_unique<JsonLinesReader>(std::move(input), std::move(name),
                                           options);
}

}  // namespace ingest_internal
}  // namespace vigie
