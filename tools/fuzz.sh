#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang in build-fuzz/ (-DSV_FUZZ=ON:
# the libraries instrumented for coverage, ASan and UBSan), runs each target
# once over its committed corpus, then fuzzes each for SECONDS (default 60) on
# a scratch copy of that corpus (the committed one never grows). Prints one
# line per target and fails on any crash, leak or timeout; the reproducers
# and logs stay in build-fuzz/fuzz-run/. See fuzz/README.md.
#
# Usage: tools/fuzz.sh [SECONDS]   (0: replay the committed corpus only)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
case $seconds in
'' | *[!0-9]*)
  echo "usage: tools/fuzz.sh [SECONDS]" >&2
  exit 2
  ;;
esac
targets=(fuzz_request fuzz_questionnaire fuzz_json fuzz_csv fuzz_revision)

bash tools/deps.sh
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DSV_FUZZ=ON -DSV_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]}"

# The committed corpora, each input once (the ctest entries of fuzz/).
ctest --test-dir build-fuzz/fuzz --output-on-failure --timeout 300

if [ "$seconds" -eq 0 ]; then
  exit 0 # the corpus replay above is all that was asked for
fi

run=$PWD/build-fuzz/fuzz-run
rm -rf "$run"
mkdir -p "$run"
# The targets write each input to a file: on tmpfs they run about 4x faster.
shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=$run
scratch=$(mktemp -d "$shm/sv-fuzz-run.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
failed=0
for t in "${targets[@]}"; do
  mkdir -p "$run/$t/corpus" "$run/$t/artifacts"
  cp fuzz/corpus/"$t"/* "$run/$t/corpus/"
  log=$run/$t.log
  start=$(date +%s)
  rc=0
  TMPDIR=$scratch timeout $((seconds + 120)) "build-fuzz/fuzz/$t" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$run/$t/artifacts/" \
    "$run/$t/corpus" >"$log" 2>&1 || rc=$?
  elapsed=$(($(date +%s) - start))
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  crashes=$(find "$run/$t/artifacts" -type f \( -name 'crash-*' -o \
    -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
    crashes=1 # died without a reproducer (set-up failure, killed...)
  fi
  echo "fuzz $t executions ${runs:-0} seconds $elapsed crashes $crashes"
  if [ "$crashes" -ne 0 ]; then
    failed=1
    echo "fuzz $t: exit status $rc; log $log; reproducers:" >&2
    find "$run/$t/artifacts" -type f >&2
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" |
      head -5 >&2 || true
  fi
done
exit "$failed"
