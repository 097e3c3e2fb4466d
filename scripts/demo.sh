#!/usr/bin/env bash
# The demo: installs what is missing, builds the optimised `vigie` tool,
# simulates a labelled portal access log (benign traffic plus planted attack
# campaigns), replays it through the detector and prints the alerts and the
# replay summary; the HTML report of the replay is left beside them.
#
#   scripts/demo.sh [ACCOUNTS] [DAYS]      (default 2000 accounts, 2 days)
set -euo pipefail
cd "$(dirname "$0")/.."
accounts=${1:-2000}
days=${2:-2}
scripts/install-deps.sh
bazel build -c opt //:vigie
demo=$(mktemp -d "${TMPDIR:-/tmp}/vigie-demo.XXXXXX")
cp bazel-bin/tools/vigie "$demo/vigie"
vigie=$demo/vigie
echo "== simulating $accounts accounts x $days days into $demo" >&2
"$vigie" keygen --out "$demo/pseudonym.key"
"$vigie" simulate --accounts "$accounts" --days "$days" --seed 1 --out "$demo"
echo "== planted campaigns ($demo/labels.json):" >&2
grep -E '^ +"(id|kind)": ' "$demo/labels.json" | paste - - | tr -d '",' | sed 's/^ */   /' >&2 || true
echo "== replaying; alerts (ECS JSON Lines) follow, also in $demo/alerts.jsonl" >&2
"$vigie" replay --key-file "$demo/pseudonym.key" --alerts "$demo/alerts.jsonl" \
  --report "$demo/report.html" "$demo/events.csv"
cat "$demo/alerts.jsonl"
echo "== detection quality against the planted campaigns (vigie eval):" >&2
"$vigie" eval --labels "$demo/labels.json" --events "$demo/events.csv" \
  vigie="$demo/alerts.jsonl" >&2
echo "== HTML report of this replay: $demo/report.html" >&2
