// `vigie parse` (tools/parse_command.h): a log's first records as events
// or refusals with their lines, the counts by reason, exit status 1 when
// nothing reads, and never a raw subject.
#include "tools/parse_command.h"

#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_files.h"

namespace vigie {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing_files::TmpPath;
using testing_files::WriteFile;

constexpr char kNir[] = "185057800608436";

std::string Parse(const std::string& csv, const std::string& mapping,
                  int64_t show, ParseSummary* summary,
                  absl::Status* status) {
  WriteFile(TmpPath("parse.csv"), csv);
  ParseOptions options;
  options.input = TmpPath("parse.csv");
  if (!mapping.empty()) {
    WriteFile(TmpPath("parse.mapping"), mapping);
    options.mapping_path = TmpPath("parse.mapping");
  }
  options.show = show;
  std::ostringstream out;
  *status = RunParse(options, out, summary);
  return out.str();
}

TEST(RunParse, ShowsEachRecordAsAnEventOrARefusalWithItsLine) {
  ParseSummary summary;
  absl::Status status;
  const std::string out = Parse(
      "timestamp,user,src_ip,event,patient_id\n"
      "2022-03-10 08:15:01,dr.a,192.0.2.1,VIEW_PATIENT,185057800608436\n"
      "2022-03-10 08:15:02,dr.a,192.0.2.1,BROWSE,185057800608436\n"
      "2022-03-10 08:15:03,dr.a,192.0.2.1,VIEW_PATIENT,185057800608436\n",
      "time: \"timestamp\" account: \"user\" ip: \"src_ip\" "
      "action: \"event\" subject: \"patient_id\" "
      "actions { key: \"VIEW_PATIENT\" value: \"lookup\" } "
      "time_format: \"%Y-%m-%d %H:%M:%S\"",
      2, &summary, &status);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(out, HasSubstr(
                       "parse.csv:2: time 2022-03-10T08:15:01.000Z  account "
                       "dr.a  ip 192.0.2.1  action lookup  outcome success  "
                       "subject [15 characters, a NIR with a wrong key, "
                       "masked]\n"));
  EXPECT_THAT(out, HasSubstr("parse.csv:3: field 'action': \"BROWSE\": "
                             "unknown action"));
  EXPECT_THAT(out, Not(HasSubstr("parse.csv:4:")));  // --show 2.
  EXPECT_THAT(out, HasSubstr("vigie parse: 2 events, 1 refused\n"));
  EXPECT_EQ(summary.events, 2);
  EXPECT_EQ(summary.rejected, 1);
  EXPECT_THAT(out, Not(HasSubstr(kNir)));
}

TEST(RunParse, NothingThatReadsIsAnErrorAndNoSubjectIsQuoted) {
  ParseSummary summary;
  absl::Status status;
  const std::string out = Parse(
      "time,account,ip,action,subject\n"
      "yesterday,dr.a,192.0.2.1,lookup,185057800608436\n"
      "2022-03-10T08:15:02Z,dr.a,192.0.2.1,lookup,185057800608436\xff\n",
      "", 20, &summary, &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("no record accepted: all 2 were refused"));
  EXPECT_THAT(out, HasSubstr("field 'subject': invalid UTF-8"));
  EXPECT_THAT(out, Not(HasSubstr("18505780060843")));
}

TEST(RunParse, AMappingThatDoesNotReadIsRefusedNamingItsFile) {
  ParseSummary summary;
  absl::Status status;
  Parse("time,account,ip,action\n", "acount: \"user\"", 20, &summary, &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("parse.mapping:1:"));
}

}  // namespace
}  // namespace vigie
