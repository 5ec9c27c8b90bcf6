#!/usr/bin/env bash
# Installs the Debian 12 packages the gateway needs to build, run and test. Idempotent: it only
# calls apt-get when something is missing. Needs root (or sudo) when it has to install.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config
  libboost1.81-dev rapidjson-dev libssl-dev libxml2-dev libgtest-dev libsqlite3-dev
  sqlite3 curl ca-certificates openssl python3
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(wrk)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if (( ${#missing[@]} == 0 )); then
  exit 0
fi
echo "installing: ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
