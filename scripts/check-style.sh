#!/usr/bin/env bash
# The house style, checked by the README's test command:
#   - every C++ file we write is formatted as .clang-format says (generated tables excepted);
#   - the C++ files a change touches pass .clang-tidy: those changed since EMG_STYLE_BASE
#     (default: the previous commit) plus uncommitted ones, checked against the compile
#     commands of BUILD_DIR (default build/test). Template bodies are parsed when instantiated
#     (-fdelayed-template-parsing): clang 19 otherwise rejects a member of RapidJSON 1.1's
#     GenericStringRef that is never instantiated (GCC accepts it).
# Usage: scripts/check-style.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${1:-build/test}"

mapfile -t all < <(git ls-files '*.h' '*.cpp' | grep -v '/generated/')
if ! clang-format --dry-run -Werror "${all[@]}" 2>/tmp/emg-format.$$; then
  head -40 /tmp/emg-format.$$ >&2
  rm -f /tmp/emg-format.$$
  echo "style: files differ from .clang-format; run: clang-format -i \$(git ls-files '*.h' '*.cpp' | grep -v /generated/)" >&2
  exit 1
fi
rm -f /tmp/emg-format.$$
echo "style: ${#all[@]} files formatted as .clang-format says"

base="${EMG_STYLE_BASE:-HEAD~1}"
git rev-parse --verify -q "$base^{commit}" >/dev/null || base="$(git rev-list --max-parents=0 HEAD | tail -1)"
mapfile -t changed < <({ git diff --name-only --diff-filter=d "$base" -- '*.cpp'; \
                         git ls-files --others --exclude-standard -- '*.cpp'; } | sort -u |
                       grep -v '/generated/' | grep -v '^tests/oidc/' || true)
# Only translation units the build knows (a header is checked through the files including it).
targets=()
for f in "${changed[@]}"; do
  [[ -f "$f" ]] || continue
  grep -q "\"file\": \"$PWD/$f\"" "$build_dir/compile_commands.json" && targets+=("$f")
done
if (( ${#targets[@]} == 0 )); then
  echo "style: no changed C++ file for clang-tidy (since $base)"
  exit 0
fi
tidy="$(command -v clang-tidy-19 || true)"
if [[ -z "$tidy" ]]; then
  echo "style: clang-tidy-19 is missing (scripts/install-deps.sh --test installs it)" >&2
  exit 1
fi
echo "style: clang-tidy on ${#targets[@]} changed file(s) since $base"
printf '%s\n' "${targets[@]}" |
  xargs -P "$(nproc)" -n 4 "$tidy" -p "$build_dir" --quiet --extra-arg=-Wno-unknown-warning-option \
    --extra-arg=-Wno-deprecated-declarations \
    --extra-arg=-fdelayed-template-parsing --extra-arg=-Wno-delayed-template-parsing-in-cxx20 \
    2> >(grep -v 'warnings generated' >&2)
echo "style: clang-tidy clean"
