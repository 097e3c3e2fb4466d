#!/usr/bin/env bash
# End-to-end checks of the `vigie` binary: help texts, exit statuses, the
# simulate -> convert -> replay pipeline, keygen's refusal to overwrite, the
# HTML report, and that no raw subject reaches the alert stream, the summary
# or the report.
set -uo pipefail
vigie=$1
tmp=${TEST_TMPDIR:-$(mktemp -d)}
failures=0
check() {  # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; failures=$((failures + 1)); fi
}
status_of() { "$@" >/dev/null 2>&1; echo $?; }

check "help exits 0" test "$(status_of "$vigie" help)" = 0
for command in replay convert parse simulate keygen config; do
  check "$command --help exits 0" test "$(status_of "$vigie" $command --help)" = 0
done
check "no command exits 2" test "$(status_of "$vigie")" = 2
check "unknown command exits 2" test "$(status_of "$vigie" frobnicate)" = 2
check "unknown flag exits 2" test "$(status_of "$vigie" replay --frobnicate x.csv)" = 2
"$vigie" replay --frobnicate x.csv 2>"$tmp/err.txt"
check "unknown flag is named" grep -q "unknown flag --frobnicate" "$tmp/err.txt"
check "missing input exits 1" test "$(status_of "$vigie" replay "$tmp/nope.csv")" = 1

check "keygen writes a key" "$vigie" keygen --out "$tmp/key"
check "key file is private" test "$(stat -c %a "$tmp/key")" = 600
check "keygen refuses to overwrite" test "$(status_of "$vigie" keygen --out "$tmp/key")" = 1

check "simulate runs" "$vigie" simulate --accounts 300 --days 2 --seed 3 --out "$tmp/sim"
check "simulate writes labels" grep -q '"kind": "chained_lookup"' "$tmp/sim/labels.json"
"$vigie" simulate --accounts 300 --days 2 --seed 3 --format jsonl --out "$tmp/sim2" 2>/dev/null
"$vigie" simulate --accounts 300 --days 2 --seed 3 --format jsonl --out "$tmp/sim3" 2>/dev/null
check "simulate is byte-for-byte deterministic" cmp -s "$tmp/sim2/events.jsonl" "$tmp/sim3/events.jsonl"
check "labels are deterministic" cmp -s "$tmp/sim2/labels.json" "$tmp/sim3/labels.json"
"$vigie" simulate --accounts 300 --days 2 --seed 4 --format jsonl --out "$tmp/sim4" 2>/dev/null
check "another seed gives other events" bash -c "! cmp -s '$tmp/sim2/events.jsonl' '$tmp/sim4/events.jsonl'"
check "convert csv -> binary.gz" "$vigie" convert "$tmp/sim/events.csv" "$tmp/sim/events.pb.gz"
check "convert binary -> jsonl" "$vigie" convert "$tmp/sim/events.pb.gz" "$tmp/sim/events.jsonl"
"$vigie" replay --key-file "$tmp/key" "$tmp/sim/events.csv" >"$tmp/a_csv.jsonl" 2>"$tmp/summary.txt"
check "replay csv exits 0" test $? = 0
"$vigie" replay --key-file "$tmp/key" "$tmp/sim/events.pb.gz" >"$tmp/a_pb.jsonl" 2>/dev/null
"$vigie" replay --key-file "$tmp/key" --format jsonl - <"$tmp/sim/events.jsonl" >"$tmp/a_json.jsonl" 2>/dev/null
check "replay raises alerts" test -s "$tmp/a_csv.jsonl"
check "binary replay gives identical alerts" cmp -s "$tmp/a_csv.jsonl" "$tmp/a_pb.jsonl"
check "stdin JSON replay gives identical alerts" cmp -s "$tmp/a_csv.jsonl" "$tmp/a_json.jsonl"
check "summary counts events" grep -q "events (" "$tmp/summary.txt"

# Privacy: no subject (nor its 13-digit body) in alerts or the summary.
cut -d, -f6 "$tmp/sim/events.csv" | grep -E '^[0-9]' | cut -c1-13 | sort -u >"$tmp/subjects.txt"
check "subjects were extracted" test -s "$tmp/subjects.txt"
check "no subject in the alert stream" bash -c "! grep -F -f '$tmp/subjects.txt' '$tmp/a_csv.jsonl'"
check "no subject in the summary" bash -c "! grep -F -f '$tmp/subjects.txt' '$tmp/summary.txt'"

# The HTML report: written beside the alerts, which it does not change;
# self-contained; no subject in it; also for the rules baseline.
"$vigie" replay --key-file "$tmp/key" --report "$tmp/report.html" "$tmp/sim/events.csv" >"$tmp/a_report.jsonl" 2>/dev/null
check "replay --report exits 0" test $? = 0
check "report is written" test -s "$tmp/report.html"
check "report does not change the alerts" cmp -s "$tmp/a_csv.jsonl" "$tmp/a_report.jsonl"
check "report is an HTML page with charts" bash -c "grep -q '<!DOCTYPE html>' '$tmp/report.html' && grep -q '<svg' '$tmp/report.html'"
check "report fetches nothing" bash -c "! grep -E -q 'https?://|<script|<link' '$tmp/report.html'"
check "no subject in the report" bash -c "! grep -F -f '$tmp/subjects.txt' '$tmp/report.html'"
check "no temporary file left" bash -c "! ls '$tmp' | grep -q 'report.html.tmp'"
check "baseline writes a report" "$vigie" replay --mode baseline --report "$tmp/baseline.html" "$tmp/sim/events.csv" >/dev/null 2>&1
check "baseline report says so" grep -q "rules baseline" "$tmp/baseline.html"
"$vigie" replay --report "$tmp/missing/r.html" "$tmp/sim/events.csv" >/dev/null 2>"$tmp/report_err.txt"
check "report in a missing directory exits 1" test $? = 1
check "report error names the path" grep -q "$tmp/missing/r.html" "$tmp/report_err.txt"
check "replay --help documents --report" bash -c "'$vigie' replay --help | grep -q -- '--report FILE'"

# Strict mode stops at the first bad record with its location.
printf 'time,account,ip,action\n2022-03-10T08:00:00Z,a,192.0.2.1,login\n2022-03-10T08:00:01Z,a,192.0.2.1,dance\n' >"$tmp/bad.csv"
"$vigie" replay --strict "$tmp/bad.csv" >/dev/null 2>"$tmp/strict.txt"
check "strict exits 1" test $? = 1
check "strict names the line" grep -q "bad.csv:3: field 'action': \"dance\"" "$tmp/strict.txt"
check "lenient exits 0" test "$(status_of "$vigie" replay "$tmp/bad.csv")" = 0

# Checkpoints: refused where a resume could not be exact; a run resumed
# from its end checkpoint writes the same alerts.
check "replay --help documents checkpoints" bash -c "'$vigie' replay --help | grep -q -- '--resume FILE'"
"$vigie" replay --key-file "$tmp/key" --checkpoint "$tmp/c.ckpt" "$tmp/sim/events.csv" >/dev/null 2>"$tmp/ckpt_stdout.txt"
check "checkpoint with alerts on stdout exits 1" test $? = 1
check "checkpoint with alerts on stdout says why" grep -q -- "--checkpoint needs --alerts FILE" "$tmp/ckpt_stdout.txt"
check "a bad --checkpoint-every exits 2" test "$(status_of "$vigie" replay --checkpoint "$tmp/c.ckpt" --checkpoint-every soon "$tmp/sim/events.csv")" = 2
check "replay with checkpoints" "$vigie" replay --key-file "$tmp/key" --alerts "$tmp/a_ckpt.jsonl" --checkpoint "$tmp/c.ckpt" --checkpoint-every 1s "$tmp/sim/events.csv" 2>/dev/null
check "checkpoints give identical alerts" cmp -s "$tmp/a_csv.jsonl" "$tmp/a_ckpt.jsonl"
check "resume from the end" "$vigie" replay --key-file "$tmp/key" --alerts "$tmp/a_ckpt.jsonl" --resume "$tmp/c.ckpt" "$tmp/sim/events.csv" 2>/dev/null
check "the resumed run gives identical alerts" cmp -s "$tmp/a_csv.jsonl" "$tmp/a_ckpt.jsonl"
check "resuming another input is refused" test "$(status_of "$vigie" replay --key-file "$tmp/key" --alerts "$tmp/a_ckpt.jsonl" --resume "$tmp/c.ckpt" "$tmp/bad.csv")" = 1

check "config defaults print" bash -c "'$vigie' config --print-defaults | grep -q incident_tier"
"$vigie" config --print-defaults >"$tmp/defaults.conf"
check "printed defaults are a valid config" "$vigie" replay --config "$tmp/defaults.conf" "$tmp/bad.csv"
check "defaults say how the peers sample" grep -q "peer_sample_one_in: 4" "$tmp/defaults.conf"
echo 'engine { peer_sample_one_in: 0 }' >"$tmp/zero.conf"
"$vigie" replay --config "$tmp/zero.conf" "$tmp/bad.csv" >/dev/null 2>"$tmp/zero.txt"
check "a peer sampling out of range is refused, named" grep -q "engine.peer_sample_one_in must be in 1..1024" "$tmp/zero.txt"
echo 'engine { peer_sample_one_in: 1 }' >"$tmp/all.conf"
check "peers learning every lookup replays" "$vigie" replay --key-file "$tmp/key" --config "$tmp/all.conf" --alerts "$tmp/a_all.jsonl" "$tmp/sim/events.csv" 2>/dev/null

# The mapping example of docs/cli.md: the files it shows are the files in
# docs/examples/, and converting the portal's CSV with its mapping gives
# the output it shows.
examples=$(dirname "$0")/../docs/examples
doc=$(dirname "$0")/../docs/cli.md
block() {  # The fenced block after the line "<!-- docs/examples/NAME -->".
  awk -v m="<!-- docs/examples/$1 -->" '$0 == m {f = 1; next} f && /^```/ {n++; if (n == 2) exit; next} f && n == 1' "$doc"
}
check "the mapping shown is docs/examples/portal.mapping" \
  test "$(block portal.mapping)" = "$(cat "$examples/portal.mapping")"
check "the output shown is docs/examples/portal.converted.csv" \
  test "$(block portal.converted.csv)" = "$(cat "$examples/portal.converted.csv")"
check "the portal's CSV converts with its mapping" \
  "$vigie" convert --mapping "$examples/portal.mapping" "$examples/portal.csv" "$tmp/portal.csv" 2>/dev/null
check "into the output shown" cmp -s "$tmp/portal.csv" "$examples/portal.converted.csv"
check "and replays with it" "$vigie" replay --key-file "$tmp/key" --mapping "$examples/portal.mapping" --alerts "$tmp/portal.jsonl" "$examples/portal.csv" 2>/dev/null
check "nor converts without it (exit 1)" test "$(status_of "$vigie" convert "$examples/portal.csv" "$tmp/unmapped.csv")" = 1
check "but not without it (exit 1)" test "$(status_of "$vigie" replay --key-file "$tmp/key" --alerts "$tmp/portal.jsonl" "$examples/portal.csv")" = 1
parse_shown=$(awk '$0 == "<!-- vigie parse --mapping docs/examples/portal.mapping --show 3 docs/examples/portal.csv -->" {f = 1; next} f && /^```/ {n++; if (n == 2) exit; next} f && n == 1' "$doc")
vigie_abs=$(realpath "$vigie")
parse_run=$(cd "$(dirname "$0")/.." && "$vigie_abs" parse --mapping docs/examples/portal.mapping --show 3 docs/examples/portal.csv 2>/dev/null)
check "vigie parse prints what docs/cli.md shows" test "$parse_shown" = "$parse_run"
check "vigie parse without the mapping exits 1" test "$(status_of "$vigie" parse "$examples/portal.csv")" = 1
check "vigie parse never prints a subject" sh -c "! '$vigie' parse --mapping '$examples/portal.mapping' '$examples/portal.csv' 2>&1 | grep -q 185057800608436"
echo 'time: "timestamp" acount: "user"' >"$tmp/bad.mapping"
"$vigie" replay --key-file "$tmp/key" --mapping "$tmp/bad.mapping" "$examples/portal.csv" 2>"$tmp/bad_mapping.err"
check "a misspelt mapping names its line" grep -q "bad.mapping:1:.*acount" "$tmp/bad_mapping.err"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
