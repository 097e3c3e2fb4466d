// Field parsers: event time, IP addresses, NIR structure, pseudonyms.
#include <arpa/inet.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "detector/event.h"
#include "detector/ingest/field_decoder.h"
#include "detector/ingest/nir.h"
#include "detector/ingest/pseudonymizer.h"
#include "detector/ingest/time_format.h"
#include "detector/ip_address.h"
#include "gtest/gtest.h"
#include <simdjson.h>

namespace vigie {
namespace {

void ExpectTimeError(absl::string_view text, absl::string_view reason) {
  absl::StatusOr<int64_t> ms = ParseEventTime(text);
  ASSERT_FALSE(ms.ok()) << text;
  EXPECT_EQ(ms.status().code(), absl::StatusCode::kInvalidArgument) << text;
  EXPECT_EQ(ms.status().message(), reason) << text;
}

TEST(ParseEventTime, ReadsUtcWithMilliseconds) {
  EXPECT_EQ(ParseEventTime("2022-03-10T08:15:02.123Z").value(),
            1646900102123);
}

TEST(ParseEventTime, AppliesTheOffset) {
  EXPECT_EQ(ParseEventTime("2022-03-10T09:15:02+01:00").value(),
            ParseEventTime("2022-03-10T08:15:02Z").value());
  EXPECT_EQ(ParseEventTime("2022-03-09T23:45:02-08:30").value(),
            ParseEventTime("2022-03-10T08:15:02Z").value());
}

TEST(ParseEventTime, AcceptsLowerCaseAndSpaceSeparators) {
  EXPECT_EQ(ParseEventTime("2022-03-10t08:15:02z").value(), 1646900102000);
  EXPECT_EQ(ParseEventTime("2022-03-10 08:15:02Z").value(), 1646900102000);
}

TEST(ParseEventTime, TruncatesFractionsBeyondMilliseconds) {
  EXPECT_EQ(ParseEventTime("2022-03-10T08:15:02.5Z").value(), 1646900102500);
  EXPECT_EQ(ParseEventTime("2022-03-10T08:15:02.123999999Z").value(),
            1646900102123);
}

TEST(ParseEventTime, ReadsEpochMilliseconds) {
  EXPECT_EQ(ParseEventTime("1646900102123").value(), 1646900102123);
  EXPECT_EQ(ParseEventTime("-1000").value(), -1000);
}

TEST(ParseEventTime, KnowsLeapYears) {
  EXPECT_TRUE(ParseEventTime("2024-02-29T00:00:00Z").ok());
  EXPECT_TRUE(ParseEventTime("2000-02-29T00:00:00Z").ok());
  ExpectTimeError("2023-02-29T00:00:00Z", "day out of range");
  ExpectTimeError("1900-02-29T00:00:00Z", "day out of range");
  ExpectTimeError("2022-04-31T00:00:00Z", "day out of range");
}

TEST(ParseEventTime, RejectsOutOfRangeFieldsWithTheirReason) {
  ExpectTimeError("2022-13-01T00:00:00Z", "month out of range");
  ExpectTimeError("2022-00-01T00:00:00Z", "month out of range");
  ExpectTimeError("2022-01-00T00:00:00Z", "day out of range");
  ExpectTimeError("2022-01-01T24:00:00Z", "hour out of range");
  ExpectTimeError("2022-01-01T23:60:00Z", "minute out of range");
  ExpectTimeError("2022-01-01T23:59:61Z", "second out of range");
  ExpectTimeError("2022-01-01T23:59:00+24:00", "offset out of range");
  ExpectTimeError("12345678901234567", "epoch milliseconds out of range");
  ExpectTimeError("", "empty");
}

// A local time, the most common thing a portal writes, is told apart from
// garbage: the reason says what is missing and what reads it.
TEST(ParseEventTime, ALocalTimeIsRefusedNamingTheMissingOffset) {
  for (const char* local : {"2022-03-10T08:15:02", "2022-03-10 08:15:02",
                            "2022-03-10 08:15:02.250"}) {
    ExpectTimeError(local,
                    "no UTC offset (Z or +01:00): a local time needs a "
                    "mapping's time_format and time_zone");
  }
}

TEST(ParseEventTime, ReadsALeapSecondAsTheLastMillisecond) {
  EXPECT_EQ(ParseEventTime("2016-12-31T23:59:60Z").value(),
            ParseEventTime("2016-12-31T23:59:59.999Z").value());
}

TEST(ParseEventTime, RejectsGarbage) {
  for (const char* bad :
       {"yesterday", "2022-03-10", "2022-03-10T08:15Z",
        "2022-03-10T08:15:02.Z", "2022/03/10T08:15:02Z", "12a4",
        "2022-03-10T08:15:02Zjunk", "2022-03-10T08:15:02+0100", "-"}) {
    ExpectTimeError(bad, "not an RFC 3339 time or epoch milliseconds");
  }
}

// A reader's EventTimeParser reuses the minute of the last time that
// parsed: for every input, after any other, it must answer exactly as
// ParseEventTime (value, or code and reason).
TEST(EventTimeParser, AnswersAsParseEventTimeWhateverCameBefore) {
  std::mt19937_64 random(17);
  const std::vector<std::string> minutes = {
      "2022-03-10T08:15", "2022-03-10t08:15", "2022-03-10 08:15",
      "2024-02-29T23:59", "2023-02-29T10:00", "2022-13-01T00:00",
      "2022-03-10T24:00", "2022-03-10T08:60", "1969-12-31T23:59",
      "2022-03-1xT08:15", "0000-01-01T00:00", "9999-12-31T23:59"};
  const std::vector<std::string> rests = {
      ":02Z", ":02.123Z", ":02.1z", ":02.123456789Z", ":60Z", ":61Z",
      ":59.999+01:00", ":00-08:30", ":02+24:00", ":02+23:60", ":02",
      ":02.Z", ":2Z", ":02Zjunk", ":02+0100", "Z", ":02 Z", ":02.5-00:00"};
  const std::vector<std::string> others = {"1646900102123", "-5", "", "x",
                                           "2022-03-10", "12a4"};
  EventTimeParser parser;
  int valid = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    if (random() % 10 == 0) {
      text = others[random() % others.size()];
    } else {
      text = minutes[random() % (random() % 4 == 0 ? minutes.size() : 2)] +
             rests[random() % rests.size()];
    }
    const absl::StatusOr<int64_t> want = ParseEventTime(text);
    const absl::StatusOr<int64_t> got = parser.Parse(text);
    ASSERT_EQ(got.ok(), want.ok()) << text;
    if (want.ok()) {
      ASSERT_EQ(*got, *want) << text;
      ++valid;
    } else {
      ASSERT_EQ(got.status().code(), want.status().code()) << text;
      ASSERT_EQ(got.status().message(), want.status().message()) << text;
    }
  }
  EXPECT_GT(valid, 5000);  // Many valid times, most of one minute.
}

TEST(FormatEventTime, RoundTripsRandomInstantsAgainstAbsl) {
  std::mt19937_64 random(7);
  std::uniform_int_distribution<int64_t> dist(-2208988800000,  // 1900
                                              4102444800000);  // 2100
  for (int i = 0; i < 20000; ++i) {
    int64_t ms = dist(random);
    std::string text = FormatEventTime(ms);
    EXPECT_EQ(text, absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ",
                                     absl::FromUnixMillis(ms),
                                     absl::UTCTimeZone()));
    EXPECT_EQ(ParseEventTime(text).value(), ms) << text;
  }
}

// The ASCII fast path reads words that overlap at the end: a non-ASCII
// byte at any position of any short length must reach the full check, and
// the answer must be the validator's, for valid and invalid sequences.
TEST(IsValidUtf8, AgreesWithTheFullValidatorAtEveryLengthAndPosition) {
  const std::string inserts[] = {"\x80", "\xc3", "\xc3\xa9", "\xe2\x82\xac",
                                 "\xff", "\xed\xa0\x80"};
  for (size_t length = 0; length <= 40; ++length) {
    const std::string ascii(length, 'a');
    ASSERT_TRUE(ingest_internal::IsValidUtf8(ascii)) << length;
    for (size_t at = 0; at < length; ++at) {
      for (const std::string& insert : inserts) {
        std::string text = ascii;
        text.replace(at, std::min(insert.size(), length - at), insert);
        text.resize(length);
        const bool valid = simdjson::validate_utf8(text.data(), text.size());
        ASSERT_EQ(ingest_internal::IsValidUtf8(text), valid)
            << length << " " << at << " " << insert.size();
      }
    }
  }
}

TEST(IpAddress, ParsesAndFormatsIpv4) {
  IpAddress ip = IpAddress::Parse("192.0.2.10").value();
  EXPECT_TRUE(ip.is_v4());
  EXPECT_EQ(ip.v4(), 0xc000020au);
  EXPECT_EQ(ip.ToString(), "192.0.2.10");
  EXPECT_EQ(ip.ToBytes(), std::string("\xc0\x00\x02\x0a", 4));
}

TEST(IpAddress, TreatsIpv4MappedAsIpv4) {
  EXPECT_EQ(IpAddress::Parse("::ffff:192.0.2.10").value(),
            IpAddress::Parse("192.0.2.10").value());
  EXPECT_EQ(IpAddress::Parse("::FFFF:c000:20a").value().ToString(),
            "192.0.2.10");
}

TEST(IpAddress, FormatsIpv6Canonically) {
  EXPECT_EQ(IpAddress::Parse("2001:DB8:0:0:0:0:0:1").value().ToString(),
            "2001:db8::1");
  EXPECT_EQ(IpAddress::Parse("::").value().ToString(), "::");
  EXPECT_EQ(IpAddress::Parse("fe80::1:2").value().ToString(), "fe80::1:2");
  IpAddress ip = IpAddress::Parse("2001:db8::1").value();
  EXPECT_EQ(IpAddress::FromBytes(ip.ToBytes()).value(), ip);
}

TEST(IpAddress, RejectsMalformedText) {
  for (const char* bad :
       {"1.2.3", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4.5",
        "fe80::1%eth0", "::ffff:1.2.3", "2001:db8:::1", "example.com",
        "1..2.3", "2001:db8::/32"}) {
    absl::StatusOr<IpAddress> ip = IpAddress::Parse(bad);
    EXPECT_FALSE(ip.ok()) << bad;
    EXPECT_EQ(ip.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ip.status().message(), "not an IPv4 or IPv6 address") << bad;
  }
  EXPECT_EQ(IpAddress::Parse("").status().message(), "empty");
}

// The dotted-quad parser against the C library's, on random near-quads
// (parts of zero to four digits, some with leading zeros, some bytes
// changed) and on every part value.
TEST(IpAddress, ReadsIpv4ExactlyAsInetPton) {
  std::mt19937_64 random(17);
  const std::string odd = ". x:-+/";
  int valid = 0;
  for (int i = 0; i < 300000; ++i) {
    // Mostly near-quads: one to five parts of zero to four digits (a 0
    // often first), joined by dots, then a byte or two changed now and then.
    std::string text;
    const int parts = 1 + static_cast<int>(random() % 5);
    for (int part = 0; part < parts; ++part) {
      if (part > 0) text += '.';
      const int digits = static_cast<int>(random() % 5);
      for (int d = 0; d < digits; ++d) {
        text += static_cast<char>('0' + (random() % 3 == 0 ? 0 : random() % 10));
      }
    }
    if (parts < 4 && random() % 2 == 0) text += ".1.2.3";
    while (random() % 8 == 0 && !text.empty()) {
      text[random() % text.size()] = odd[random() % odd.size()];
    }
    in_addr expected;
    const bool expected_ok = inet_pton(AF_INET, text.c_str(), &expected) == 1;
    const absl::StatusOr<IpAddress> ip = IpAddress::Parse(text);
    ASSERT_EQ(ip.ok() && ip->is_v4(), expected_ok) << '"' << text << '"';
    if (expected_ok) {
      ++valid;
      ASSERT_EQ(ip->v4(), ntohl(expected.s_addr)) << text;
    }
  }
  EXPECT_GT(valid, 5000);  // The random strings do hit addresses.
  for (int part = 0; part < 1000; ++part) {
    const std::string text = absl::StrCat("10.", part, ".", 255 - part % 256,
                                          ".0");
    const absl::StatusOr<IpAddress> ip = IpAddress::Parse(text);
    ASSERT_EQ(ip.ok(), part <= 255) << text;
    if (ip.ok()) {
      EXPECT_EQ(ip->ToString(), text);
    }
  }
}

TEST(IpAddress, NetworkIsSlash24ForIpv4AndSlash48ForIpv6) {
  EXPECT_EQ(IpAddress::Parse("192.0.2.77").value().Network().ToString(),
            "192.0.2.0");
  EXPECT_EQ(IpAddress::Parse("2001:db8:1:2:3::9").value().Network().ToString(),
            "2001:db8:1::");
}

TEST(Event, ActionAndOutcomeNamesRoundTrip) {
  for (int i = 1; i <= 6; ++i) {
    Action action = static_cast<Action>(i);
    EXPECT_EQ(ParseAction(ActionName(action)), action);
  }
  for (int i = 1; i <= 3; ++i) {
    Outcome outcome = static_cast<Outcome>(i);
    EXPECT_EQ(ParseOutcome(OutcomeName(outcome)), outcome);
  }
  EXPECT_FALSE(ParseAction("Login").has_value());
  EXPECT_FALSE(ParseOutcome("unknown").has_value());
}

// Independent key computation with 64-bit arithmetic.
int ReferenceKey(const std::string& body13) {
  std::string digits = body13;
  if (digits.substr(5, 2) == "2A") digits.replace(5, 2, "19");
  if (digits.substr(5, 2) == "2B") digits.replace(5, 2, "18");
  return static_cast<int>(97 - std::stoull(digits) % 97);
}

TEST(Nir, ComputesTheControlKey) {
  for (const char* body : {"1850578006084", "2991299123456", "185052A001001",
                           "285052B123999", "7000101001001"}) {
    EXPECT_EQ(NirControlKey(body), ReferenceKey(body)) << body;
  }
  EXPECT_EQ(NirControlKey("5850578006084"), -1);
  EXPECT_EQ(NirControlKey("185057800608"), -1);
}

// The NIR rules of nir.h, written out plainly on std::string.
NirInfo ReferenceNir(const std::string& subject) {
  NirInfo info;
  std::string s;
  for (char c : subject) {
    if (c != ' ') s.push_back(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  }
  auto digits = [&s](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
    }
    return true;
  };
  if (s.size() != 13 && s.size() != 15) return info;
  if (std::string("123478").find(s[0]) == std::string::npos) return info;
  const bool corsica = s.substr(5, 2) == "2A" || s.substr(5, 2) == "2B";
  if (!digits(1, 5) || !(corsica || digits(5, 7)) || !digits(7, 13) ||
      !digits(13, s.size())) {
    return info;
  }
  info.is_nir = true;
  memcpy(info.prefix, s.data(), 10);
  info.order = static_cast<uint16_t>(std::stoi(s.substr(10, 3)));
  if (s.size() == 15) {
    info.key_present = true;
    info.key_valid = ReferenceKey(s.substr(0, 13)) == std::stoi(s.substr(13));
  }
  return info;
}

// Subjects as logs hold them (normal NIRs, with and without keys, right
// and wrong, Corsican) and as they should not (spaces, lower case, stray
// letters and bytes, wrong lengths): the same answers as the plain rules.
TEST(Nir, AgreesWithThePlainRulesOnRandomSubjects) {
  std::mt19937_64 random(41);
  const std::string alphabet =
      "0123456789012345678901234567890123456789 aAbBx/\x80";
  for (int i = 0; i < 200000; ++i) {
    std::string subject;
    if (i % 2 == 0) {  // A NIR in normal form, maybe with a key.
      subject = std::string(1, "12347856"[random() % 8]);
      for (int k = 1; k < 13; ++k) subject.push_back('0' + random() % 10);
      if (random() % 4 == 0) subject.replace(5, 2, random() % 2 ? "2A" : "2B");
      if (random() % 3 != 0) {
        const int key = random() % 2 ? ReferenceKey(subject) : random() % 100;
        subject += std::to_string(key / 10) + std::to_string(key % 10);
      }
      if (random() % 8 == 0) {
        subject[random() % subject.size()] =
            alphabet[random() % alphabet.size()];
      }
    } else {
      const size_t length = random() % 19;
      for (size_t k = 0; k < length; ++k) {
        subject.push_back(alphabet[random() % alphabet.size()]);
      }
    }
    const NirInfo got = AnalyseNir(subject);
    const NirInfo want = ReferenceNir(subject);
    ASSERT_EQ(got.is_nir, want.is_nir) << subject;
    ASSERT_EQ(got.key_present, want.key_present) << subject;
    ASSERT_EQ(got.key_valid, want.key_valid) << subject;
    ASSERT_EQ(got.order, want.order) << subject;
    ASSERT_EQ(std::string(got.prefix, 10), std::string(want.prefix, 10))
        << subject;
  }
}

TEST(Nir, AnalysesAValidNirWithSpacesAndLowerCase) {
  std::string body = "185052A001042";
  int key = ReferenceKey(body);
  std::string text = "1 85 05 2a 001 042 " + std::to_string(key / 10) +
                     std::to_string(key % 10);
  NirInfo info = AnalyseNir(text);
  EXPECT_TRUE(info.is_nir);
  EXPECT_TRUE(info.key_present);
  EXPECT_TRUE(info.key_valid);
  EXPECT_EQ(std::string(info.prefix, 10), "185052A001");
  EXPECT_EQ(info.order, 42);
}

TEST(Nir, FlagsAWrongKey) {
  std::string body = "1850578006084";
  int wrong = (ReferenceKey(body) % 97) + 1;
  // Two digits, as a NIR's key is written.
  const std::string key = (wrong < 10 ? "0" : "") + std::to_string(wrong);
  NirInfo info = AnalyseNir(body + key);
  EXPECT_TRUE(info.is_nir);
  EXPECT_TRUE(info.key_present);
  EXPECT_FALSE(info.key_valid);
}

TEST(Nir, ReadsThirteenCharactersWithoutKey) {
  NirInfo info = AnalyseNir("1850578006084");
  EXPECT_TRUE(info.is_nir);
  EXPECT_FALSE(info.key_present);
  EXPECT_FALSE(info.key_valid);
}

TEST(Nir, RejectsOtherShapes) {
  for (const char* bad : {"", "patient-42", "585057800608491", "18505780060",
                          "1850578006084911", "18505X8006084", "1850578006A84"}) {
    EXPECT_FALSE(AnalyseNir(bad).is_nir) << bad;
  }
}

PseudonymKey KeyOf(uint8_t fill) {
  PseudonymKey key;
  key.bytes.fill(fill);
  return key;
}

TEST(Pseudonymizer, IsStableForAKeyAndDiffersAcrossKeys) {
  Pseudonymizer a(KeyOf(1));
  Pseudonymizer again(KeyOf(1));
  Pseudonymizer b(KeyOf(2));
  EXPECT_EQ(a.Subject("185057800608491"), again.Subject("185057800608491"));
  EXPECT_NE(a.Subject("185057800608491"), b.Subject("185057800608491"));
  EXPECT_NE(a.Subject("185057800608491"), a.Subject("185057800608492"));
  EXPECT_NE(a.KeyFingerprint(), b.KeyFingerprint());
}

TEST(Pseudonymizer, NormalisesSpacesAndCase) {
  Pseudonymizer p(KeyOf(3));
  EXPECT_EQ(p.Subject("1 85 05 2a 001 001 85"), p.Subject("185052A00100185"));
}

// A subject already in normal form is hashed as it is (the fast path); any
// other is normalised first. Both must give what the normal form gives, at
// every length around the 16-byte blocks, with spaces, both cases, the
// bytes next to 'a' and 'z' and UTF-8.
TEST(Pseudonymizer, EverySpellingHashesAsItsNormalForm) {
  Pseudonymizer p(KeyOf(6));
  const std::string alphabet[] = {"1", "9", "A", "Z", "a", "z", " ", "`",
                                  "{", "@", "[", "\xc3\xa9", "\x7f"};
  std::mt19937 random(7);
  for (int i = 0; i < 20000; ++i) {
    const int length = static_cast<int>(random() % 41);
    std::string subject;
    while (static_cast<int>(subject.size()) < length) {
      subject += alphabet[random() % (sizeof(alphabet) / sizeof(alphabet[0]))];
    }
    std::string normal;
    for (char c : subject) {
      if (c == ' ') continue;
      normal.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c);
    }
    if (normal.empty()) continue;
    ASSERT_EQ(p.Subject(subject), p.Subject(normal)) << '"' << subject << '"';
  }
  // Only ASCII letters fold: "\xc3\xa9" and "\xc3\x89" stay two people.
  EXPECT_NE(p.Subject("X\xc3\xa9"), p.Subject("X\xc3\x89"));
}

TEST(Pseudonymizer, HandlesLongIdentifiers) {
  Pseudonymizer p(KeyOf(4));
  std::string long_id(1000, 'x');
  std::string other = long_id;
  other[999] = 'y';
  EXPECT_NE(p.Subject(long_id), p.Subject(other));
  EXPECT_NE(p.Subject(long_id), 0u);
}

TEST(Pseudonymizer, KeepsSubjectAndPrefixDomainsApart) {
  Pseudonymizer p(KeyOf(5));
  EXPECT_NE(static_cast<uint32_t>(p.Subject("1850578006")),
            p.NirPrefix("1850578006"));
}

TEST(PseudonymKey, ParsesHexAndRejectsAnythingElse) {
  std::string hex(64, 'a');
  EXPECT_TRUE(ParsePseudonymKey(hex + "\n").ok());
  EXPECT_EQ(ParsePseudonymKey(hex.substr(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePseudonymKey(std::string(63, 'a') + "g").status().code(),
            absl::StatusCode::kInvalidArgument);
  PseudonymKey key = GeneratePseudonymKey();
  EXPECT_EQ(ParsePseudonymKey(FormatPseudonymKey(key)).value().bytes,
            key.bytes);
}

TEST(PseudonymKey, LoadsAKeyFileAndNeverEchoesBadContent) {
  const std::string dir = std::getenv("TEST_TMPDIR");
  const std::string good = dir + "/good.key";
  const std::string bad = dir + "/bad.key";
  PseudonymKey key = GeneratePseudonymKey();
  std::ofstream(good) << FormatPseudonymKey(key) << "\n";
  std::ofstream(bad) << "secret-looking-content";
  EXPECT_EQ(LoadPseudonymKey(good).value().bytes, key.bytes);
  absl::Status status = LoadPseudonymKey(bad).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message().find("secret"), absl::string_view::npos);
  EXPECT_EQ(LoadPseudonymKey(dir + "/missing.key").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace vigie
