// ECS JSON Lines reader, parsing lines with simdjson's On-Demand API.
//
// Each line is one JSON object. Fields are found by their ECS path whether
// written as nested objects ({"user":{"name":"x"}}) or dotted keys
// ({"user.name":"x"}), or a mix; a field given twice is an error rather than
// a silent choice. simdjson validates UTF-8 for the whole line up front;
// keys and strings without escapes are read in place, the others unescaped
// into simdjson's buffer, which is reused between lines. A line that
// repeats one of the last few parsed lines byte for byte around plain
// values is read without simdjson (LineLayout): the same fields, its own
// values. Every line reads as a reader that saw no line before would read
// it (tests/jsonl_layout_test.cc).
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detector/ingest/field_decoder.h"
#include "detector/ingest/readers.h"

namespace vigie {
namespace ingest_internal {
namespace {

namespace od = simdjson::ondemand;

constexpr size_t kMaxPath = 256;
constexpr int kMaxDepth = 16;

// A line's bytes with its values' places cut out: the line it was made
// from, parsed, says which field each value is. A line that has the same
// bytes everywhere else, and plain values in those places, parses to the
// same fields with its own values, so it is read without a JSON parser:
// a log's lines mostly differ only in their values.
//
// Plain values (anything else is left to simdjson, which reads the line
// as it would have anyway): a string holding no escape, quote or control
// character (bytes >= 0x80 are checked to be UTF-8); a number made of
// digits (simdjson hands a number on as its text, and so does this).
// Everything else (keys, punctuation, spaces, other values) must be the
// same bytes.
class LineLayout {
 public:
  struct Value {
    size_t begin, end;  // In the line the layout is made from.
    int field;          // -1: not an ECS field (the value is still plain).
    bool number;
  };
  // From `line` and its values, in order. REQUIRES: values not empty (a
  // line without values would only ever match itself).
  void Make(absl::string_view line, const std::vector<Value>& values) {
    text_.clear();
    places_.clear();
    size_t at = 0;
    for (const Value& v : values) {
      text_.append(line.data() + at, v.begin - at);
      places_.push_back(Place{text_.size(), v.field, v.number});
      at = v.end;
    }
    text_.append(line.data() + at, line.size() - at);
  }
  bool empty() const { return places_.empty(); }

  // Whether `line` (followed by padding) has this layout; if so, its
  // values are in fields (others untouched).
  bool Match(absl::string_view line, TextFields* fields) const {
    const char* p = line.data();
    const char* const end = p + line.size();
    size_t done = 0;  // Of text_.
    for (const Place& place : places_) {
      const size_t same = place.at - done;
      if (static_cast<size_t>(end - p) < same ||
          !SameBytes(p, text_.data() + done, same)) {
        return false;
      }
      p += same;
      done = place.at;
      const char* value = p;
      if (place.number) {
        while (p < end && *p >= '0' && *p <= '9') ++p;
        if (p == value) return false;
      } else {
        bool high = false;
        while (true) {
          p = NextSpecial(p, end);
          if (p == end || static_cast<unsigned char>(*p) < 0x80) break;
          high = true;
          ++p;
        }
        // The closing quote is the next bytes' to match.
        if (p == end || *p != '"') return false;
        if (high && !IsValidUtf8(absl::string_view(value, p - value))) {
          return false;
        }
      }
      if (place.field >= 0) {
        fields->value[place.field] = absl::string_view(value, p - value);
      }
    }
    const size_t rest = text_.size() - done;
    return static_cast<size_t>(end - p) == rest &&
           SameBytes(p, text_.data() + done, rest);
  }

 private:
  struct Place {
    size_t at;  // In text_: where the value was cut out.
    int field;
    bool number;
  };
  // The first byte in [p, end) that is a quote, a backslash, a control
  // character or >= 0x80, or end; eight bytes at a time (bytes after end
  // are readable: padding).
  static const char* NextSpecial(const char* p, const char* end) {
    constexpr uint64_t kOnes = 0x0101010101010101ull;
    constexpr uint64_t kHigh = 0x8080808080808080ull;
    while (p < end) {
      uint64_t w;
      memcpy(&w, p, 8);
      const uint64_t quote = w ^ (kOnes * '"');
      const uint64_t backslash = w ^ (kOnes * '\\');
      // A byte's high bit is set in `m` where it is zero in quote or
      // backslash, below 0x20, or >= 0x80; the lowest such byte is exact.
      const uint64_t m = (((quote - kOnes) & ~quote) |
                          ((backslash - kOnes) & ~backslash) |
                          ((w - kOnes * 0x20) & ~w) | w) &
                         kHigh;
      if (m != 0) {
        const char* at = p + (__builtin_ctzll(m) >> 3);
        return at < end ? at : end;
      }
      p += 8;
    }
    return end;
  }
  // a[0, n) == b[0, n), eight bytes at a time.
  static bool SameBytes(const char* a, const char* b, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t x, y;
      memcpy(&x, a + i, 8);
      memcpy(&y, b + i, 8);
      if (x != y) return false;
    }
    for (; i < n; ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }

  std::string text_;  // The line without its values.
  std::vector<Place> places_;
};

class JsonLinesReader : public TextReaderBase {
 public:
  JsonLinesReader(std::unique_ptr<InputBuffer> input, std::string name,
                  const ReaderOptions& options)
      : TextReaderBase(std::move(input), std::move(name)),
        max_record_bytes_(options.max_record_bytes),
        mapping_(options.mapping),
        times_(options.mapping != nullptr ? options.mapping->time
                                          : TimeFormat()) {
    for (int f = 0; f < kFieldCount; ++f) {
      keys_[f] = std::string(
          mapping_ != nullptr ? mapping_->ColumnOf(f, EcsFieldName(f))
                              : EcsFieldName(f));
    }
  }

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
        // Name the field as this input spells it.
        for (int f = 0; f < kFieldCount; ++f) {
          if (error->field == FieldName(f)) {
            error->field = keys_[f];
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

  // A line that fails is parsed again from a copy followed by spaces: the
  // parser may look past a malformed line into its padding, which holds
  // whatever follows the line in the window (the next line, or stale bytes
  // where the window ends), so its reason would depend on where reads and
  // chunks happen to end. Only failing lines pay for the copy.
  bool Parse(absl::string_view line, AccessRecord* record, RecordError* error) {
    if (ParseInPlace(line, record, error)) return true;
    clean_line_.assign(line.data(), line.size());
    clean_line_.append(InputBuffer::kPadding, ' ');
    return ParseInPlace(absl::string_view(clean_line_.data(), line.size()),
                        record, error);
  }

  bool ParseInPlace(absl::string_view line, AccessRecord* record,
                    RecordError* error) {
    fields_.Clear();
    for (size_t i = 0; i < layouts_.size(); ++i) {
      if (layouts_[i].empty()) break;
      if (layouts_[i].Match(line, &fields_)) {
        // Most recently matched first.
        std::rotate(layouts_.begin(), layouts_.begin() + i,
                    layouts_.begin() + i + 1);
        return DecodeTextFields(fields_, Utf8::kAlreadyValid, times_,
                                mapping_.get(), record, error);
      }
      fields_.Clear();
    }
    std::fill(seen_null_, seen_null_ + kFieldCount, false);
    walked_line_ = line;
    values_.clear();
    plain_values_ = true;
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
      member_ = 0;
      on_layout_ = true;
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
    // A line read without error gives the next lines its layout (see
    // LineLayout), if all its values were plain.
    if (code == simdjson::SUCCESS && plain_values_ && !values_.empty()) {
      // In place of the least recently matched, first.
      std::rotate(layouts_.begin(), layouts_.end() - 1, layouts_.end());
      layouts_.front().Make(line, values_);
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
    return DecodeTextFields(fields_, Utf8::kAlreadyValid, times_,
                            mapping_.get(), record, error);
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
      const int index = member_++;
      const char* raw_key = member.key().raw();
      // On the previous line's layout so far, this member's key is checked
      // against the one it had there, without looking for the key's end.
      const MemberHint* hint = nullptr;
      if (on_layout_ && index < hint_count_ &&
          hints_[index].depth == depth && hints_[index].Matches(raw_key)) {
        hint = &hints_[index];
      }
      // Keys are read in place when they hold no escape (as ECS keys do):
      // unescaping copies each into simdjson's buffer first.
      bool in_place = true;
      std::string_view key;
      if (hint != nullptr) {
        key = std::string_view(raw_key, hint->size);
      } else {
        LeaveLayout(index);
        key = RawKey(raw_key, &in_place);
        if (!in_place) {
          if ((*code = member.unescaped_key().get(key))) return false;
        }
      }
      const size_t saved_length = path_length_;
      const bool fits = path_length_ + key.size() + 1 < kMaxPath;
      if (fits) {
        // A short key in place is copied 16 bytes at once, without a call:
        // the line is followed by padding, and path_ has room.
        if (in_place && key.size() <= kKeyChunk) {
          memcpy(path_ + path_length_, key.data(), kKeyChunk);
        } else {
          memcpy(path_ + path_length_, key.data(), key.size());
        }
        path_length_ += key.size();
      }
      od::value value = member.value();
      od::json_type type;
      if ((*code = value.type().get(type))) return false;
      const bool is_object = type == od::json_type::object;
      if (hint != nullptr && hint->object != is_object) {
        hint = nullptr;
        LeaveLayout(index);
      }
      if (is_object) {
        if (hint == nullptr) Remember(index, depth, key, in_place, true, -1);
        od::object child;
        if ((*code = value.get_object().get(child))) return false;
        if (fits) path_[path_length_++] = '.';
        bool ok = fits ? Walk(child, depth + 1, code, error)
                       : SkipObject(child, code);
        path_length_ = saved_length;
        if (!ok) return false;
        continue;
      }
      int field = -1;
      if (hint != nullptr) {
        field = hint->field;
      } else {
        if (fits) field = MatchField(absl::string_view(path_, path_length_));
        Remember(index, depth, key, in_place, false, field);
      }
      path_length_ = saved_length;
      if (field < 0) {
        // Unknown keys are ignored (and skipped), but their string values
        // may differ from line to line without changing the layout.
        if (type == od::json_type::string) {
          std::string_view text = value.raw_json_token();
          if (UnquoteInPlace(&text)) {
            NoteValue(text, -1, false);
          } else {
            plain_values_ = false;
          }
        }
        continue;
      }
      if (!fields_.value[field].empty() || seen_null_[field]) {
        SetFieldError(field, "", "duplicate field", error);
        return false;
      }
      switch (type) {
        case od::json_type::string: {
          // In place unless it holds an escape: simdjson has validated the
          // line's UTF-8 and refused control characters, so only escapes
          // need decoding (and checking).
          std::string_view text = value.raw_json_token();
          if (UnquoteInPlace(&text)) {
            NoteValue(text, field, false);
          } else {
            plain_values_ = false;
            if ((*code = value.get_string().get(text))) return false;
          }
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
          NoteValue(token, field, true);
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

  static constexpr size_t kKeyChunk = 16;
  // The key at `start` (just after its opening quote) as it is written,
  // when it holds no escape (*in_place set); else empty, to be unescaped.
  static std::string_view RawKey(const char* start, bool* in_place) {
    // Stage 1 found the closing quote, so this stops within the line.
    const char* p = start;
    while (*p != '"' && *p != '\\') ++p;
    *in_place = *p == '"';
    return *in_place ? std::string_view(start, p - start) : std::string_view();
  }
  // A string token (its quotes, then maybe whitespace) becomes its text,
  // unless it holds an escape (false, left as it is).
  static bool UnquoteInPlace(std::string_view* token) {
    std::string_view t = *token;
    while (t.back() != '"') t.remove_suffix(1);  // Whitespace.
    t = t.substr(1, t.size() - 2);
    if (memchr(t.data(), '\\', t.size()) != nullptr) return false;
    *token = t;
    return true;
  }

  // A value of the line being walked, for its layout: a plain one (see
  // LineLayout) gets a place; any other makes the line's layout unusable.
  // A string here has no escape, and no control character either once the
  // line has parsed (simdjson refuses them), which is the only case a
  // layout is made from.
  void NoteValue(std::string_view text, int field, bool number) {
    if (number) {
      bool digits = !text.empty();
      for (char c : text) digits &= c >= '0' && c <= '9';
      if (!digits) {
        plain_values_ = false;
        return;
      }
    }
    const size_t begin = static_cast<size_t>(text.data() - walked_line_.data());
    values_.push_back(
        LineLayout::Value{begin, begin + text.size(), field, number});
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
      if (path == keys_[f]) return f;
    }
    return -1;
  }
  // What the previous lines' members were, in order: a log's lines mostly
  // share one layout. While every member of a line so far had the same
  // depth, key and kind (object or not) as the same member there, the
  // line's tree so far is the same (a tree is given by its members' depths
  // and keys in order), so a leaf's field is the same too: no search for
  // the key's end and no search of the field names.
  struct MemberHint {
    static constexpr size_t kMaxKey = 23;  // Bytes; the quote after it fits.
    uint64_t text[3];  // The key, then its closing quote, then zeros.
    uint64_t mask[3];  // Of those key and quote bytes.
    uint8_t size;
    uint8_t depth;
    bool object;
    int8_t field;  // -1: not an ECS field (or an object).
    // Whether the key at `raw` (in the line: padding follows) is this one.
    bool Matches(const char* raw) const {
      uint64_t w[3];
      memcpy(w, raw, sizeof(w));
      return (((w[0] ^ text[0]) & mask[0]) | ((w[1] ^ text[1]) & mask[1]) |
              ((w[2] ^ text[2]) & mask[2])) == 0;
    }
  };
  static constexpr int kMemberHints = 32;
  void LeaveLayout(int index) {
    on_layout_ = false;
    hint_count_ = std::min(hint_count_, index);
  }
  // Records a member off the layout, for the next lines: the hints stay
  // one line's members, in order.
  void Remember(int index, int depth, std::string_view key, bool in_place,
                bool object, int field) {
    if (index != hint_count_ || index >= kMemberHints || !in_place ||
        key.size() > MemberHint::kMaxKey) {
      return;
    }
    MemberHint& hint = hints_[index];
    char text[sizeof(hint.text)] = {};
    memcpy(text, key.data(), key.size());
    text[key.size()] = '"';
    memcpy(hint.text, text, sizeof(text));
    for (size_t word = 0; word < 3; ++word) {
      const size_t bytes = std::min<size_t>(
          8, std::max<size_t>(key.size() + 1, 8 * word) - 8 * word);
      hint.mask[word] = bytes == 8 ? ~uint64_t{0}
                                   : (uint64_t{1} << (8 * bytes)) - 1;
    }
    hint.size = static_cast<uint8_t>(key.size());
    hint.depth = static_cast<uint8_t>(depth);
    hint.object = object;
    hint.field = static_cast<int8_t>(field);
    ++hint_count_;
  }

  size_t max_record_bytes_;
  std::shared_ptr<const InputMapping> mapping_;  // May be null.
  // The key path of each field: ECS, or the mapping's.
  std::array<std::string, kFieldCount> keys_;
  od::parser parser_;
  std::string clean_line_;  // A failing line, padded with spaces (Parse).
  TextFields fields_;
  EventTimeParser times_;
  bool seen_null_[kFieldCount] = {};
  char path_[kMaxPath + kKeyChunk];
  size_t path_length_ = 0;
  // Of the last lines simdjson read (see LineLayout), most recently
  // matched first: a log interleaves a few kinds of lines.
  static constexpr int kLayouts = 4;
  std::array<LineLayout, kLayouts> layouts_;
  absl::string_view walked_line_;
  std::vector<LineLayout::Value> values_;  // Its values so far.
  bool plain_values_ = true;
  std::array<MemberHint, kMemberHints> hints_;
  int hint_count_ = 0;     // Valid hints.
  int member_ = 0;         // Members of the current line so far.
  bool on_layout_ = true;  // Every member so far matched its hint.
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
