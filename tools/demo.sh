#!/usr/bin/env bash
# The main job on a fresh machine: installs the Debian packages, builds in
# build/, starts the collector on loopback with its default data directory,
# loads the 137 respondents of the 2024 seed report, shows what was stored,
# and stops the collector cleanly.
#
# Environment: SURVEY_DATA (default /var/lib/survey), SURVEY_ENDPOINT
# (default tcp://127.0.0.1:5555).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSV_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
export SURVEY_ENDPOINT="${SURVEY_ENDPOINT:-tcp://127.0.0.1:5555}"
survey=build/clients/survey
log=$(mktemp /tmp/survey-collector.XXXXXX.log)

build/collector/survey-collector >"$log" 2>&1 &
collector=$!
stop() {
  if kill -0 "$collector" 2>/dev/null; then
    kill -TERM "$collector"
    wait "$collector" || true
  fi
  echo "== collector log ($log)"
  cat "$log"
}
trap stop EXIT
for _ in $(seq 1 200); do
  grep -q ' ready on ' "$log" && break
  kill -0 "$collector" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.05
done
grep -q ' ready on ' "$log" || { echo "collector did not start"; exit 1; }

echo "== load data/r6/responses.jsonl (137 respondents of the 2024 report)"
"$survey" load data/r6/responses.jsonl
echo
echo "== survey get 010006 (北海道)"
"$survey" get 010006
echo
echo "== survey history 271004 (大阪市)"
"$survey" history 271004
