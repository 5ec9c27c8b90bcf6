#!/usr/bin/env bash
# Installs the Debian 12 packages the gateway needs to build, run and test. Idempotent: it only
# calls apt-get when something is missing. Needs root (or sudo) when it has to install.
#   --bench  also wrk (load tests)
#   --test   also clang-format and clang-tidy-19 (the style check; clang-tidy 19 is the first
#            in Debian 12 whose clang parses libstdc++ 12's std::expected), Node.js + npm (when
#            `node`/`npm` are not on PATH; an existing node, e.g. v20 from NodeSource, is kept)
#            and the integration tests' OpenID Provider packages:
#            `npm ci` in tests/oidc when node_modules is missing or older than package-lock.json
set -euo pipefail

bench=0
test=0
for arg in "$@"; do
  case "$arg" in
    --bench) bench=1 ;;
    --test) test=1 ;;
    *) echo "usage: $0 [--bench] [--test]" >&2; exit 2 ;;
  esac
done

packages=(
  g++ cmake ninja-build pkg-config
  libboost1.81-dev rapidjson-dev libssl-dev libxml2-dev libgtest-dev libsqlite3-dev
  sqlite3 curl ca-certificates openssl python3
)
if (( bench )); then
  packages+=(wrk)
fi
if (( test )); then
  packages+=(clang-format clang-tidy-19)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js is checked on PATH, not with dpkg: NodeSource's `nodejs` package ships npm itself.
if (( test )); then
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
fi
if (( ${#missing[@]} > 0 )); then
  echo "installing: ${missing[*]}" >&2
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if (( test )); then
  oidc_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/oidc"
  if [[ ! -d "$oidc_dir/node_modules" || "$oidc_dir/package-lock.json" -nt "$oidc_dir/node_modules" ]]; then
    echo "installing npm packages in tests/oidc (npm ci)" >&2
    (cd "$oidc_dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
    touch "$oidc_dir/node_modules"  # npm ci may keep an old directory mtime
  fi
fi
