#!/usr/bin/env bash
# Installs what is missing and runs every test, ending with a line
# "N passed, M failed" that counts GoogleTest cases across all test targets
# (a target that fails to build or crashes counts as one failed test).
#
#   scripts/test.sh [BAZEL TEST FLAGS...]     e.g. scripts/test.sh --config=asan
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || exit 1

bazel test --keep_going "$@" //... 2>&1 | tee /tmp/vigie-test-$$.log
bazel_status=${PIPESTATUS[0]}

passed=0
failed=0
testlogs=$(bazel info bazel-testlogs 2>/dev/null)
for target in $(bazel query 'tests(//...)' 2>/dev/null); do
  path=${target#//}
  path=${path/://}
  xml="$testlogs/$path/test.xml"
  if [ ! -s "$xml" ]; then
    failed=$((failed + 1))
    echo "no result for $target (build failure?)" >&2
    continue
  fi
  # The first <testsuites ...> element of a GoogleTest report carries the
  # totals; Bazel's own report for a crashed test has only <testsuite>.
  line=$(grep -m1 -o '<testsuites [^>]*>' "$xml" || true)
  if [ -z "$line" ]; then
    line=$(grep -m1 -o '<testsuite [^>]*>' "$xml" || true)
  fi
  tests=$(echo "$line" | sed -n 's/.* tests="\([0-9]*\)".*/\1/p')
  failures=$(echo "$line" | sed -n 's/.* failures="\([0-9]*\)".*/\1/p')
  errors=$(echo "$line" | sed -n 's/.* errors="\([0-9]*\)".*/\1/p')
  disabled=$(echo "$line" | sed -n 's/.* disabled="\([0-9]*\)".*/\1/p')
  tests=${tests:-0}; failures=${failures:-0}; errors=${errors:-0}; disabled=${disabled:-0}
  bad=$((failures + errors))
  if [ "$tests" -eq 0 ]; then
    bad=1
  fi
  passed=$((passed + tests - disabled - failures - errors))
  failed=$((failed + bad))
done
rm -f /tmp/vigie-test-$$.log
if [ "$bazel_status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$bazel_status" -eq 0 ]
