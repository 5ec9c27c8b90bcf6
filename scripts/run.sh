#!/usr/bin/env bash
# Builds the gateway (release) and runs it on its embedded default: SQLite in ./var, listening
# on 127.0.0.1:8080, with the synthetic demo data seeded. Extra arguments go to `serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DEMG_BUILD_TESTS=OFF >/dev/null
cmake --build build/release --target emeistring-gateway
exec build/release/gateway/emeistring-gateway serve --config config/demo.json "$@"
