#!/usr/bin/env bash
# Fuzzes every parser of untrusted input (fuzz/, docs/adr/0012-fuzzing.md):
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# Installs clang-19 and its libFuzzer/sanitizer runtimes when missing (with the build's own
# packages via scripts/install-deps.sh), builds every target of fuzz/targets.txt in build/fuzz
# (clang, libFuzzer + ASan + UBSan), assembles the seeds (fuzz/make_corpus.py) and runs each
# target (or only those named) for SECONDS (default 60), one after the other, in one process.
# New corpus units go to build/fuzz/corpus/<target>/ (scratch, kept between runs); a crash,
# leak, timeout (-timeout=10), out-of-memory or sanitizer report is saved to
# fuzz/crashes/<target>/ and makes the script exit 1 after the last target. Prints per target:
# executions per second, coverage (libFuzzer's cov: edges and ft: features), corpus size.
# Logs: build/fuzz/logs/<target>.log. EMG_FUZZ_ARGS adds libFuzzer flags (e.g. -jobs=1).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [SECONDS] [TARGET...]" >&2
  exit 2
fi

# --- tools -----------------------------------------------------------------------------------
# clang 19: the first clang in Debian 12 whose front end reads libstdc++ 12's <expected>, which
# every library here uses (clang-14 and clang-16 cannot compile the project).
scripts/install-deps.sh
missing=()
for p in clang-19 libclang-rt-19-dev llvm-19; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if (( ${#missing[@]} > 0 )); then
  echo "installing: ${missing[*]}" >&2
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
fi

# --- build -----------------------------------------------------------------------------------
launcher=()
if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++-19 \
  -DEMG_FUZZ=ON -DEMG_BUILD_TESTS=OFF -DEMG_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
cmake --build build/fuzz -j "${EMG_FUZZ_BUILD_JOBS:-2}"

# --- targets ---------------------------------------------------------------------------------
declare -A max_len dict
all=()
while read -r name len dictionary _; do
  all+=("$name")
  max_len[$name]=$len
  dict[$name]=$dictionary
done < <(grep -E '^[a-z]' fuzz/targets.txt)
targets=("$@")
if (( ${#targets[@]} == 0 )); then targets=("${all[@]}"); fi
for t in "${targets[@]}"; do
  [[ -n "${max_len[$t]:-}" ]] || { echo "unknown target '$t' (fuzz/targets.txt)" >&2; exit 2; }
done

python3 fuzz/make_corpus.py build/fuzz/seeds "${targets[@]}" >/dev/null
mkdir -p build/fuzz/logs

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=()
summary=()
for t in "${targets[@]}"; do
  corpus="build/fuzz/corpus/$t"
  crashes="fuzz/crashes/$t"
  log="build/fuzz/logs/$t.log"
  mkdir -p "$corpus" "$crashes"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="${max_len[$t]}"
        -print_final_stats=1 -artifact_prefix="$crashes/" -close_fd_mask=0)
  if [[ "${dict[$t]}" != "-" ]]; then args+=(-dict="fuzz/dict/${dict[$t]}"); fi
  # shellcheck disable=SC2206  # EMG_FUZZ_ARGS is a list of flags on purpose
  args+=(${EMG_FUZZ_ARGS:-})
  echo "== $t: ${seconds}s" >&2
  status=0
  # New units go to the first directory; the seeds and regressions are read only.
  "build/fuzz/fuzz/fuzz_$t" "${args[@]}" "$corpus" "build/fuzz/seeds/$t" >"$log" 2>&1 || status=$?
  line="$(grep -E '(DONE|pulse|NEW|REDUCE|INITED) +cov:' "$log" | tail -1 || true)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$line")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$line")"
  units="$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$line")"
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  rss="$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)"
  verdict=ok
  if (( status != 0 )) || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|FUZZ PROPERTY VIOLATED' "$log"; then
    verdict="FAILED (exit $status; see $log and $crashes/)"
    failed+=("$t")
    grep -E 'ERROR: |runtime error:|FUZZ PROPERTY VIOLATED|Test unit written' "$log" | head -5 >&2 || true
  fi
  summary+=("$(printf '%-14s %6ss %11s execs %7s exec/s  cov %6s  ft %7s  corpus %6s  rss %5sMB  %s' \
    "$t" "$seconds" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${units:-?}" "${rss:-?}" "$verdict")")
done

echo
printf '%s\n' "${summary[@]}"
if (( ${#failed[@]} > 0 )); then
  echo "fuzz: findings in: ${failed[*]}. Reproduce: build/fuzz/fuzz/fuzz_<target> fuzz/crashes/<target>/<file>;" >&2
  echo "after the fix, move the input to fuzz/regressions/<target>/ (replayed by the test command)." >&2
  exit 1
fi
echo "fuzz: no findings"
