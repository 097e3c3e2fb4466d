#!/usr/bin/env bash
# Detection quality: simulates labelled portal traffic in every named world
# (tools/simulate/world.h) for three seeds, replays each log through Vigie
# (with Debian's libloc database, the default) and through the rules
# baseline (Sigma / fail2ban style) in the same run, and prints the
# markdown quality table of docs/detection.md (vigie eval --table-row);
# about 5 minutes on 2 cores. KEEP_FALSE_INCIDENTS=1 also prints each
# run's false incidents by phenomenon on standard error.
#
#   scripts/quality.sh                          # every world, 2000x7, seeds 1 2 3
#   WORLDS="mixed" SIZES="500x2" SEEDS="1" scripts/quality.sh
set -euo pipefail
cd "$(dirname "$0")/.."
worlds=${WORLDS:-"mixed city_fibre rural_mobile hospital_group ipv6_heavy"}
sizes=${SIZES:-"2000x7"}
seeds=${SEEDS:-"1 2 3"}
scripts/install-deps.sh
bazel build -c opt //:vigie >&2
work=$(mktemp -d "${TMPDIR:-/tmp}/vigie-quality.XXXXXX")
trap 'rm -rf "$work"' EXIT
# A private copy: bazel-bin changes when another build runs meanwhile.
cp bazel-bin/tools/vigie "$work/vigie"
vigie=$work/vigie
# A fixed key, so that the table is the same from run to run: the peer
# baselines learn the bulk of their lookups one in four, picked by a hash of
# the subject's keyed pseudonym, so another key picks other lookups. A test
# key only: never use it for real data.
printf '%s\n' cbfc9a72fcd9bd53d0e5f309f49f36602d4a940205a836c07df7e691b6268e7f \
  > "$work/key"
chmod 600 "$work/key"
"$vigie" eval --help >/dev/null
printf '| world | accounts × days | seed | detector | campaigns detected | chained lookups: records exposed before 1st alert | low-and-slow: records exposed before 1st alert | kinds missed | taken-over accounts named | false incidents / 10k account-days | entity AUC |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
for world in $worlds; do
  for size in $sizes; do
    accounts=${size%x*}
    days=${size#*x}
    for seed in $seeds; do
      dir="$work/$world-$size-$seed"
      "$vigie" simulate --world "$world" --accounts "$accounts" --days "$days" \
        --seed "$seed" --format binary --out "$dir" 2>/dev/null
      "$vigie" replay --key-file "$work/key" --alerts "$dir/vigie.jsonl" \
        --scores "$dir/scores.csv" "$dir/events.pb" 2>/dev/null
      "$vigie" replay --mode baseline --key-file "$work/key" \
        --alerts "$dir/baseline.jsonl" "$dir/events.pb" 2>/dev/null
      "$vigie" eval --labels "$dir/labels.json" --events "$dir/events.pb" \
        --json "$dir/eval.json" --scores "$dir/scores.csv" \
        --table-row "| $world | ${accounts}×${days} | $seed " \
        vigie="$dir/vigie.jsonl" baseline="$dir/baseline.jsonl"
      if [ -n "${KEEP_FALSE_INCIDENTS:-}" ]; then
        "$vigie" eval --labels "$dir/labels.json" --events "$dir/events.pb" \
          vigie="$dir/vigie.jsonl" | grep 'incidents:' | sed "s/^/$world seed $seed: /" >&2
      fi
      rm -f "$dir/events.pb"
    done
  done
done
