#!/usr/bin/env bash
# Fuzzes one target of fuzz/ with libFuzzer (clang 14, ASan + UBSan) for a
# number of seconds, starting from its corpus in the repository; new
# interesting inputs land in a scratch copy, crashes in the current
# directory (crash-*). The test suite replays the saved corpora
# (//fuzz:<target>_replay); copy an input worth keeping into fuzz/corpus/.
#
#   scripts/fuzz.sh record_reader_fuzzer 1800
#   scripts/fuzz.sh state_fuzzer 1800
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET [SECONDS]}
seconds=${2:-600}
case "$target" in
  record_reader_fuzzer) corpus=record_reader ;;
  state_fuzzer) corpus=state ;;
  *) echo "fuzz: unknown target $target (record_reader_fuzzer, state_fuzzer)" >&2; exit 2 ;;
esac
scripts/install-deps.sh
missing=()
for p in clang-14 libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" != 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
bazel build --config=fuzz "//fuzz:$target" >&2
work=$(mktemp -d "${TMPDIR:-/tmp}/vigie-fuzz.XXXXXX")
cp "fuzz/corpus/$corpus/"* "$work/"
echo "fuzz: $target for $seconds s, corpus copied to $work" >&2
"bazel-bin/fuzz/$target" -max_total_time="$seconds" -rss_limit_mb=2048 \
  -timeout=10 "$work"
