#!/usr/bin/env bash
# Benchmark: wrk scenarios (create, read, search, transaction) against the gateway and, in the
# same run, against bench/ceiling_server (a minimal Beast server answering a fixed response:
# this machine's HTTP ceiling). Prints requests/s, p50/p99 latency, the gateway/ceiling ratio
# per scenario, and the gateway's peak RSS. Before them, bench/ehr_translate_bench: KITH
# messages translated to FHIR per second against libxml2 parse-only of the same bytes, in the
# same run. Not a test: nothing here asserts a timing.
#
#   bench/run.sh [--duration SECONDS] [--connections N] [--threads N] [--http-only | --ehr-only]
set -euo pipefail
cd "$(dirname "$0")/.."

duration=10
connections=32
threads=2
http=1
ehr=1
while (( $# )); do
  case "$1" in
    --http-only) ehr=0; shift ;;
    --ehr-only) http=0; shift ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

scripts/install-deps.sh --bench
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DEMG_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench --target emeistring-gateway ceiling_server ehr_translate_bench >/dev/null

if (( ehr )); then
  echo "== EHR translation (median of 5 rounds of 2 s per column)"
  build/bench/bench/ehr_translate_bench . --seconds 2 --rounds 5
  (( http )) && echo
fi
(( http )) || exit 0
echo "== HTTP scenarios"

work=$(mktemp -d)
cleanup() {
  [[ -n "${gw_pid:-}" ]] && kill "$gw_pid" 2>/dev/null || true
  [[ -n "${ceil_pid:-}" ]] && kill "$ceil_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

wait_port() {  # file -> port from the {"event":"listening",...,"port":N} line
  for _ in $(seq 1 100); do
    port=$(grep -o '"event":"listening"[^}]*"port":[0-9]*' "$1" 2>/dev/null | grep -o '[0-9]*$' || true)
    [[ -n "$port" ]] && { echo "$port"; return; }
    sleep 0.1
  done
  echo "server did not start; log: $(cat "$1")" >&2
  exit 1
}

build/bench/bench/ceiling_server 0 2>"$work/ceiling.log" &
ceil_pid=$!
# Authentication, scopes and the audit trail are on, as in production; the client is the
# EHR system role through a development-login session (loopback only), so every request pays
# for the access checks and its AuditEvents.
EMG_LOG_LEVEL=warn EMG_AUTH_MODE=enforce EMG_AUTH_DEV_LOGIN=1 \
  build/bench/gateway/emeistring-gateway serve --listen 127.0.0.1:0 \
  --data "$work/data" 2>"$work/gateway.log" &
gw_pid=$!
ceil_port=$(wait_port "$work/ceiling.log")
gw_port=$(wait_port "$work/gateway.log")
gw="http://127.0.0.1:$gw_port"
ceil="http://127.0.0.1:$ceil_port"
EMG_BENCH_TOKEN=$(curl -sf "$gw/auth/dev/login" -d system=ehr -d app=1 |
  sed 's/.*"access_token":"\([^"]*\)".*/\1/')
export EMG_BENCH_TOKEN
auth=(-H "Authorization: Bearer $EMG_BENCH_TOKEN")

# Data for read and search: 200 patients named Benkmark.
for i in $(seq 1 200); do
  curl -sf -o /dev/null -X POST "$gw/Patient" "${auth[@]}" -H 'Content-Type: application/fhir+json' \
    -d '{"resourceType":"Patient","name":[{"family":"Benkmark","given":["P'"$i"'"]}]}'
done
read_id=$(curl -sf -X POST "$gw/Patient" "${auth[@]}" -H 'Content-Type: application/fhir+json' \
  -d '{"resourceType":"Patient","name":[{"family":"Lesetest"}]}' | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
export EMG_READ_ID=$read_id

# Runs wrk; prints "rps p50_ms p99_ms non2xx".
run_wrk() {
  local url=$1 script=$2 out
  out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$script" "$url")
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
  echo "$rps $(to_ms "$p50") $(to_ms "$p99") ${errors:-0}"
}
to_ms() {  # wrk prints 1.23ms / 456.00us / 1.02s
  local v=$1
  case "$v" in
    *us) awk -v x="${v%us}" 'BEGIN{printf "%.3f", x/1000}' ;;
    *ms) awk -v x="${v%ms}" 'BEGIN{printf "%.3f", x}' ;;
    *s) awk -v x="${v%s}" 'BEGIN{printf "%.3f", x*1000}' ;;
    *) echo "$v" ;;
  esac
}

printf '%-12s %12s %12s %8s %9s %9s %8s\n' scenario gateway_rps ceiling_rps ratio p50_ms p99_ms non2xx
for scenario in read create search transaction; do
  script="bench/scenarios/$scenario.lua"
  read -r c_rps _ _ _ < <(run_wrk "$ceil" "$script")
  read -r g_rps g_p50 g_p99 g_err < <(run_wrk "$gw" "$script")
  ratio=$(awk -v g="$g_rps" -v c="$c_rps" 'BEGIN{printf "%.2f", g/c}')
  printf '%-12s %12.0f %12.0f %8s %9s %9s %8s\n' "$scenario" "$g_rps" "$c_rps" "$ratio" "$g_p50" "$g_p99" "$g_err"
done
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$gw_pid/status")
echo "gateway peak RSS: $((rss_kb / 1024)) MB (VmHWM)"
echo "connections=$connections threads=$threads duration=${duration}s cores=$(nproc)"
