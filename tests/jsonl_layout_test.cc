// The JSON Lines reader remembers the previous lines' layout: each
// member's depth, key and kind (to skip finding keys and fields), and the
// lines' bytes around their values (to read a line with the same bytes and
// plain values without simdjson). These tests check that it reads every
// line exactly as a reader that has seen no line before: on random lines
// that share, drift from and return to a layout (members reordered,
// nested or dotted, wrapped in objects, unknown members added, keys and
// values escaped, duplicated, nulled or mistyped) and whose values change
// (other lengths, non-ASCII and invalid bytes, control characters,
// numbers of every shape, spaces, trailing bytes, cut lines).
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detector/record_reader.h"
#include "gtest/gtest.h"

namespace vigie {
namespace {

// A member of a line: a leaf with its JSON value, or an object.
struct Member {
  std::string key;  // As written, escapes included.
  std::string value;
  std::vector<Member> children;
  bool object = false;
};

Member Leaf(std::string key, std::string value) {
  Member m;
  m.key = std::move(key);
  m.value = std::move(value);
  return m;
}
Member Object(std::string key, std::vector<Member> children) {
  Member m;
  m.key = std::move(key);
  m.children = std::move(children);
  m.object = true;
  return m;
}

std::string Write(const std::vector<Member>& members, const char* space) {
  std::string out = "{";
  for (size_t i = 0; i < members.size(); ++i) {
    if (i > 0) absl::StrAppend(&out, ",", space);
    const Member& m = members[i];
    absl::StrAppend(&out, "\"", m.key, "\":", space,
                    m.object ? Write(m.children, space) : m.value);
  }
  return out + "}";
}

// The demo log's layout: every field nested.
std::vector<Member> BaseLine(int n) {
  return {
      Leaf("@timestamp", absl::StrCat("\"2022-03-07T00:00:0", n % 10,
                                      ".000Z\"")),
      Object("user", {Leaf("name", absl::StrCat("\"dr.", n % 7, "\""))}),
      Object("source", {Leaf("ip", absl::StrCat("\"192.0.2.", n % 50, "\""))}),
      Object("event", {Leaf("action", "\"lookup\""),
                       Leaf("outcome", "\"success\"")}),
      Object("user_agent", {Leaf("original", "\"curl/7.88\"")}),
      Object("service", {Leaf("name", "\"portal\"")}),
      Object("vigie", {Leaf("profession", "\"gp\""),
                       Leaf("subject", "\"185057800608491\""),
                       Leaf("records", "1")}),
  };
}

// A value for a leaf that the layout may or may not read without simdjson.
std::string RandomValue(std::mt19937& rng, bool number) {
  const char* numbers[] = {"0",  "7",    "1646900102123", "007", "-3",
                           "1.5", "2e3", "18446744073709551616", "00"};
  const char* strings[] = {
      "\"x\"",        "\"\"",          "\"dr.martin-2\"",
      "\"H\xc3\xa9l\xc3\xa8ne\"",  // UTF-8.
      "\"bad\xff\"",                  // Not UTF-8.
      "\"cut\xc3\"",                  // A cut UTF-8 sequence.
      "\"tab\there\"",                // A raw control character.
      "\"a\\\"b\"",                 // An escaped quote.
      "\"2022-03-07T00:00:01.000Z\"",
      "\"192.0.2.77\"",
      "\"a very long value that crosses several eight-byte words\"",
  };
  std::uniform_int_distribution<size_t> pick_number(0, 8);
  std::uniform_int_distribution<size_t> pick_string(0, 10);
  return number ? numbers[pick_number(rng)] : strings[pick_string(rng)];
}

// The leaves of a line, depth first.
void Leaves(std::vector<Member>& line, std::vector<Member*>* out) {
  for (Member& m : line) {
    if (m.object) {
      Leaves(m.children, out);
    } else {
      out->push_back(&m);
    }
  }
}

// Changes one value and keeps the layout (most of the time).
void ChangeValue(std::mt19937& rng, std::vector<Member>* line) {
  std::vector<Member*> leaves;
  Leaves(*line, &leaves);
  if (leaves.empty()) return;
  Member& leaf = *leaves[rng() % leaves.size()];
  const bool number = !leaf.value.empty() && leaf.value[0] != '"';
  leaf.value = RandomValue(rng, number ? rng() % 4 != 0 : rng() % 8 == 0);
}

// One random change to a line; most lines get none, so that layouts repeat.
void Mutate(std::mt19937& rng, std::vector<Member>* line) {
  auto pick = [&](size_t n) {
    return std::uniform_int_distribution<size_t>(0, n - 1)(rng);
  };
  if (line->empty()) return;
  Member& m = (*line)[pick(line->size())];
  switch (pick(12)) {
    case 0:  // Two members trade places.
      std::swap(m, (*line)[pick(line->size())]);
      break;
    case 1:  // An object's first member becomes a dotted key beside it.
      if (m.object && !m.children.empty()) {
        Member dotted = m.children.front();
        dotted.key = absl::StrCat(m.key, ".", dotted.key);
        m.children.erase(m.children.begin());
        line->push_back(dotted);
      }
      break;
    case 2:  // A member moves into the object before it (same keys, new
             // tree: the closing brace moves).
      if (line->size() >= 2) {
        const size_t i = 1 + pick(line->size() - 1);
        if ((*line)[i - 1].object) {
          (*line)[i - 1].children.push_back((*line)[i]);
          line->erase(line->begin() + i);
        }
      }
      break;
    case 3:  // An unknown member, leaf or object.
      line->insert(line->begin() + pick(line->size() + 1),
                   pick(2) ? Leaf("labels", "\"x\"")
                           : Object("host", {Leaf("name", "\"h\""),
                                             Object("os", {})}));
      break;
    case 4:  // A key written with an escape ("user" is still "user").
      if (m.key == "user") m.key = "\\u0075ser";
      if (m.object && !m.children.empty() &&
          m.children.front().key == "name") {
        m.children.front().key = "n\\u0061me";
      }
      break;
    case 5:  // A value with an escape.
      if (!m.object) m.value = "\"a\\u00e9\\\"b\"";
      if (m.object && !m.children.empty() && !m.children.front().object) {
        m.children.front().value = "\"x\\\\y\"";
      }
      break;
    case 6:  // A member given twice.
      line->push_back(m);
      break;
    case 7:  // A null, a number, a boolean or an array.
      if (m.object && !m.children.empty()) {
        const char* values[] = {"null", "17", "true", "[1,\"a\"]", "\"\""};
        m.children.front().value = values[pick(5)];
        m.children.front().object = false;
        m.children.front().children.clear();
      }
      break;
    case 8:  // A long key (longer than the layout remembers), of a leaf
             // or of an object holding what ECS objects hold.
      line->insert(line->begin() + pick(line->size() + 1),
                   pick(2) ? Leaf(std::string(20 + pick(20), 'k'), "0")
                           : Object(std::string(20 + pick(20), 'k'),
                                    {Leaf("name", "\"n\""),
                                     Leaf("ip", "\"192.0.2.9\"")}));
      break;
    case 9:  // A leaf becomes an object of the same key.
      if (m.object && !m.children.empty()) {
        m.children.front() = Object(m.children.front().key,
                                    {Leaf("name", "\"inner\"")});
      }
      break;
    case 10:  // A member dropped.
      line->erase(line->begin() + pick(line->size()));
      break;
    default:  // A key one letter off.
      if (!m.key.empty()) m.key.back() = 'z';
      break;
  }
}

// What a reader gives for one line, as text to compare.
std::string Outcome(RecordReader& reader) {
  AccessRecord r;
  RecordError error;
  switch (reader.Next(&r, &error)) {
    case RecordReader::Result::kRecord:
      return absl::StrCat("record ", r.time_ms, "|", r.account, "|",
                          r.ip.ToString(), "|", static_cast<int>(r.action),
                          "|", static_cast<int>(r.outcome), "|", r.subject,
                          "|", r.has_records, r.records, "|", r.user_agent,
                          "|", r.service, "|", r.profession);
    case RecordReader::Result::kError:
      // The line's number differs by design; everything else may not.
      return absl::StrCat("error ", error.field, "|", error.value, "|",
                          error.reason);
    default:
      return "end";
  }
}

// A one-thread JSON Lines reader over `lines`, each ended by a newline.
std::unique_ptr<RecordReader> ReaderOf(const std::vector<std::string>& lines,
                                       const std::string& name) {
  std::string log;
  for (const std::string& line : lines) absl::StrAppend(&log, line, "\n");
  ReaderOptions options;
  options.format = InputFormat::kJsonLines;
  auto reader = NewRecordReaderFromString(log, name, options);
  EXPECT_TRUE(reader.ok()) << reader.status();
  return reader.ok() ? std::move(*reader) : nullptr;
}

std::string OutcomeAlone(const std::string& line) {
  return Outcome(*ReaderOf({line}, "one.jsonl"));
}

TEST(JsonLinesLayout, EveryLineReadsAsIfItWereTheFirst) {
  for (uint32_t seed = 1; seed <= 8; ++seed) {
    std::mt19937 rng(seed);
    std::vector<std::string> lines;
    std::vector<Member> drifting = BaseLine(0);
    for (int n = 0; n < 5000; ++n) {
      // Lines mostly repeat one layout, sometimes drift from it, and now
      // and then start again from the base.
      if (rng() % 40 == 0) drifting = BaseLine(n);
      std::vector<Member> line = drifting;
      for (int changes = rng() % 8; changes > 4; --changes) {
        Mutate(rng, &line);
      }
      for (int changes = rng() % 8; changes > 5; --changes) {
        ChangeValue(rng, &line);
      }
      if (rng() % 10 == 0) drifting = line;
      std::string text = Write(line, rng() % 8 == 0 ? " " : "");
      switch (rng() % 40) {
        case 0: text += " "; break;          // Trailing space.
        case 1: text += "{}"; break;         // Trailing content.
        case 2: text.pop_back(); break;      // Cut short.
        case 3: text = " " + text; break;    // Leading space.
        case 4: text += "\r"; break;         // CRLF.
        default: break;
      }
      lines.push_back(text);
    }
    std::unique_ptr<RecordReader> reader = ReaderOf(lines, "all.jsonl");
    ASSERT_NE(reader, nullptr);
    int records = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string together = Outcome(*reader);
      ASSERT_EQ(together, OutcomeAlone(lines[i]))
          << "seed " << seed << ", line " << i + 1 << ": " << lines[i]
          << "\nafter: " << (i > 0 ? lines[i - 1] : "");
      records += together.rfind("record", 0) == 0;
    }
    // Both kinds are exercised.
    EXPECT_GT(records, 1000) << "seed " << seed;
    EXPECT_LT(records, 4900) << "seed " << seed;
  }
}

// The case the layout's depths exist for: the same keys in the same order,
// a brace moved. "name" is user.name in one line and an unknown
// source.name in the next.
TEST(JsonLinesLayout, SameKeysInAnotherTreeAreReadByTheirOwnPaths) {
  const std::string common =
      "\"@timestamp\":\"2022-03-07T00:00:00Z\",\"event\":{\"action\":"
      "\"login\"},\"source\":{\"ip\":\"192.0.2.1\"";
  const std::string nested = "{" + common + "},\"user\":{\"name\":\"a\"}}";
  const std::string moved = "{" + common + ",\"user\":{\"name\":\"a\"}}}";
  std::unique_ptr<RecordReader> reader =
      ReaderOf({nested, moved}, "moved.jsonl");
  ASSERT_NE(reader, nullptr);
  AccessRecord record;
  RecordError error;
  ASSERT_EQ(reader->Next(&record, &error), RecordReader::Result::kRecord);
  EXPECT_EQ(record.account, "a");
  ASSERT_EQ(reader->Next(&record, &error), RecordReader::Result::kError);
  EXPECT_EQ(error.field, "user.name");
  EXPECT_EQ(error.reason, "missing required value");
}

// Keys are matched unescaped, whether a line is on the layout or not.
TEST(JsonLinesLayout, EscapedKeysAreReadUnescaped) {
  const std::string line =
      "{\"@timestamp\":\"2022-03-07T00:00:00Z\",\"ev\\u0065nt\":{"
      "\"action\":\"login\"},\"\\u0075ser\":{\"n\\u0061me\":\"x\"},"
      "\"source.i\\u0070\":\"192.0.2.1\"}";
  std::unique_ptr<RecordReader> reader =
      ReaderOf({line, line}, "escaped.jsonl");
  ASSERT_NE(reader, nullptr);
  for (int i = 0; i < 2; ++i) {
    AccessRecord record;
    RecordError error;
    ASSERT_EQ(reader->Next(&record, &error), RecordReader::Result::kRecord)
        << error.ToString();
    EXPECT_EQ(record.account, "x");
    EXPECT_EQ(record.ip.ToString(), "192.0.2.1");
  }
}

// What the layout remembers is one line's members: a line that leaves it
// replaces it from there on. Here the second line is longer than the first
// and leaves its layout early; its last member ("name" under "source", not
// an ECS field) must not be taken for the third line's, a second
// user.name.
TEST(JsonLinesLayout, ALineThatLeavesTheLayoutReplacesItFromThere) {
  const std::string start =
      "{\"@timestamp\":\"2022-03-07T00:00:00Z\",\"event\":{\"action\":"
      "\"login\"},";
  const std::vector<std::string> lines = {
      start + "\"user\":{\"name\":\"a\"}}",
      start + "\"source\":{\"ip\":\"192.0.2.1\",\"name\":\"s\"},"
              "\"user\":{\"name\":\"b\"}}",
      start + "\"user\":{\"name\":\"c\",\"name\":\"d\"}}",
  };
  std::unique_ptr<RecordReader> reader = ReaderOf(lines, "three.jsonl");
  ASSERT_NE(reader, nullptr);
  for (const std::string& line : lines) {
    EXPECT_EQ(Outcome(*reader), OutcomeAlone(line)) << line;
  }
  EXPECT_EQ(OutcomeAlone(lines[2]), "error user.name||duplicate field");
}

}  // namespace
}  // namespace vigie
