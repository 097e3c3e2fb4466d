// SignalScore: what a signal family scored and why. Copies carry exactly
// the evidence in use (the copy skips the unused entries), and Add caps
// the score at 100 and the evidence at kMaxEvidence.
#include "detector/signals/evidence.h"

#include "gtest/gtest.h"

namespace vigie {
namespace {

TEST(SignalScore, CopiesCarryTheEvidenceInUse) {
  SignalScore s;
  s.Add(40, Evidence{Feature::kNewSubjectsPerMinute, 90, 30, 60000});
  s.Add(15, Evidence{Feature::kSequentialNirShare, 0.6, 0, 600000});
  const SignalScore copy = s;
  EXPECT_EQ(copy.score, 55);
  ASSERT_EQ(copy.count, 2);
  EXPECT_EQ(copy.evidence[0].feature, Feature::kNewSubjectsPerMinute);
  EXPECT_EQ(copy.evidence[0].observed, 90);
  EXPECT_EQ(copy.evidence[1].feature, Feature::kSequentialNirShare);
  EXPECT_EQ(copy.evidence[1].window_ms, 600000);
  // Assigning a score with less evidence leaves only that evidence in use.
  SignalScore target = s;
  SignalScore one;
  one.Add(25, Evidence{Feature::kNewIpForAccount, 1, 0, 0});
  target = one;
  EXPECT_EQ(target.score, 25);
  ASSERT_EQ(target.count, 1);
  EXPECT_EQ(target.evidence[0].feature, Feature::kNewIpForAccount);
  target = SignalScore();
  EXPECT_EQ(target.score, 0);
  EXPECT_EQ(target.count, 0);
}

TEST(SignalScore, CapsTheScoreAndTheEvidence) {
  SignalScore s;
  for (int i = 0; i < SignalScore::kMaxEvidence + 3; ++i) {
    s.Add(30, Evidence{Feature::kUnusualHour, static_cast<double>(i), 0, 0});
  }
  EXPECT_EQ(s.score, 100);
  EXPECT_EQ(s.count, SignalScore::kMaxEvidence);
  const SignalScore copy = s;
  EXPECT_EQ(copy.evidence[SignalScore::kMaxEvidence - 1].observed,
            SignalScore::kMaxEvidence - 1);
}

}  // namespace
}  // namespace vigie
