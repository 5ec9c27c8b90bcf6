#!/usr/bin/env bash
# Builds and runs every test (unit and integration; integration tests start the real gateway on
# loopback ports) twice: with AddressSanitizer + UndefinedBehaviorSanitizer (build/test) and
# with ThreadSanitizer (build/tsan). Before that it checks the layering (cmake/layers.txt) and
# the style (.clang-format everywhere, .clang-tidy on the changed files).
# Extra arguments go to ctest (e.g. -R Ehr). EMG_SKIP_TSAN=1 skips the second run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
python3 scripts/check-layering.py

cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEMG_SANITIZE=address >/dev/null
scripts/check-style.sh build/test
cmake --build build/test
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/test --output-on-failure -j2 "$@"

if [[ "${EMG_SKIP_TSAN:-0}" != 1 ]]; then
  cmake -S . -B build/tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEMG_SANITIZE=thread \
    -DEMG_BUILD_BENCH=OFF >/dev/null
  cmake --build build/tsan
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp" \
    ctest --test-dir build/tsan --output-on-failure -j2 "$@"
fi
