#!/usr/bin/env bash
# Sets up and runs the whole test suite: installs the Debian packages, builds
# the optimised configurations (Release, and RelWithDebInfo as the demo
# builds), counts the Release collector's instructions and a correction's
# at a tiny size (bench/instructions), runs the fuzzers for a bounded time
# (FUZZ_SECONDS per target, default 45; 0 replays the corpus only), builds
# everything with -Werror under AddressSanitizer + UndefinedBehaviorSanitizer
# in build-test/, and runs every test with ctest (its summary comes last).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
# the optimised build first: -O2 finds warnings (-Werror) that -O0 does not
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DSV_TESTS=OFF >/dev/null
cmake --build build-release -j"$(nproc)" >/dev/null
# and the build type tools/demo.sh and the Dockerfile make (-O2 -g): GCC
# warned there of a returned stack address that -O3 did not (Round 23)
cmake -S . -B build-relwithdebinfo -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSV_TESTS=OFF >/dev/null
cmake --build build-relwithdebinfo -j"$(nproc)" >/dev/null
# bench/instructions on the optimised collector (valgrind cannot run the
# sanitized one): a tiny smoke run whose last line must be its count
SURVEY_BENCH=build-release/bench/survey-bench bash bench/instructions \
  --small 100 --large 300 build-release/collector/survey-collector |
  tail -n 1 | grep -Ex 'instructions build-release/collector/survey-collector per_submission [1-9][0-9]*'
# and a correction's (follow and digest), likewise
bash bench/instructions --correction --size 500 --small 3 --large 8 \
  build-release/bench/survey-bench |
  tail -n 1 | grep -Ex 'instructions build-release/bench/survey-bench per_correction [1-9][0-9]*'
bash tools/fuzz.sh "${FUZZ_SECONDS:-45}"
cmake -S . -B build-test -DSV_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-test -j"$(nproc)"
cd build-test
ctest --output-on-failure -j2 --timeout 600
