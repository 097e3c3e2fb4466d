#!/usr/bin/env bash
# Runs every benchmark of the given binary once at its smallest size, so a
# benchmark that crashes or no longer builds fails the test suite. Writes a
# GoogleTest-style XML report so the suite's pass/fail count includes it.
set -euo pipefail
# An optional second argument adds names (a regular expression) for
# benchmarks whose smallest size is spelled otherwise.
binary=$1
extra=${2:-}
name=$(basename "$binary")
filter='/16384$|/16$|/8$|^BM_[A-Za-z]+$'
[ -n "$extra" ] && filter="$filter|$extra"
if "$binary" --benchmark_filter="($filter)" \
    --benchmark_min_time=0.001 >"${TEST_UNDECLARED_OUTPUTS_DIR:-/tmp}/$name.txt" 2>&1; then
  failures=0
else
  failures=1
  cat "${TEST_UNDECLARED_OUTPUTS_DIR:-/tmp}/$name.txt"
fi
if [ -n "${XML_OUTPUT_FILE:-}" ]; then
  cat >"$XML_OUTPUT_FILE" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="1" failures="$failures" disabled="0" errors="0" name="AllTests">
  <testsuite name="BenchmarkSmoke" tests="1" failures="$failures" disabled="0" errors="0">
    <testcase name="$name" status="run" classname="BenchmarkSmoke"/>
  </testsuite>
</testsuites>
XML
fi
exit $failures
