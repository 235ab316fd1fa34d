#!/usr/bin/env bash
# clang-tidy-14 with the checked-in .clang-tidy; any warning fails (`make tidy` runs this).
#
#   bash .ci/tidy.sh BUILD_DIR [BASE]
#
# BUILD_DIR: a CMake build directory configured with -DCMAKE_DISABLE_PRECOMPILE_HEADERS=ON
# (clang cannot read GCC's precompiled headers); `make tidy` configures build-tidy/ for it.
# Without BASE: every .cpp file under src/ (headers under include/hoody/ are checked through
# them). With BASE (a git revision, e.g. main): only the src/ files changed since BASE (work tree
# included) and those that #include a changed header directly; a changed .clang-tidy checks all.
# Env: JOBS (parallel clang-tidy processes, default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${1:?usage: $0 BUILD_DIR [BASE]}"
base="${2:-}"
[ -f "$build_dir/compile_commands.json" ] || { echo "tidy: no $build_dir/compile_commands.json" >&2; exit 2; }

mapfile -t all < <(git ls-files 'src/*.cpp' | sort)
files=("${all[@]}")
if [ -n "$base" ]; then
  mapfile -t changed < <(git diff --name-only --diff-filter=d "$(git merge-base "$base" HEAD)" -- \
                           src include .clang-tidy)
  if ! printf '%s\n' "${changed[@]}" | grep -qx '.clang-tidy'; then
    files=()
    for f in "${all[@]}"; do
      keep=0
      for c in "${changed[@]}"; do
        if [ "$c" = "$f" ]; then keep=1; break; fi
        if [[ "$c" == include/* ]] && grep -qF "#include \"${c#include/}\"" "$f"; then keep=1; break; fi
      done
      [ "$keep" = 1 ] && files+=("$f")
    done
  fi
fi
if [ "${#files[@]}" -eq 0 ]; then
  echo "tidy: no source file changed since $base"
  exit 0
fi
echo "tidy: clang-tidy-14 on ${#files[@]} file(s)${base:+ (changed since $base)}, ${JOBS:-$(nproc)} at a time"

check_one() {
  local out rc=0
  out="$(clang-tidy-14 -p "$TIDY_BUILD_DIR" --quiet --warnings-as-errors='*' "$1" 2>&1)" || rc=$?
  # Drop clang's per-file counters ("12345 warnings generated."); keep every diagnostic.
  out="$(grep -vE '^[0-9]+ (warning|error)s? (generated|treated as errors?)\.?$' <<<"$out" || true)"
  if [ "$rc" -ne 0 ]; then
    printf '== %s\n%s\n' "$1" "$out"
    return 1
  fi
}
export -f check_one
export TIDY_BUILD_DIR="$build_dir"
start=$SECONDS
if printf '%s\0' "${files[@]}" | xargs -0 -n 1 -P "${JOBS:-$(nproc)}" bash -c 'check_one "$1"' _; then
  echo "tidy: ${#files[@]} file(s) clean in $((SECONDS - start)) s"
else
  echo "tidy: clang-tidy-14 found the warnings above (.clang-tidy); fix them or say in .clang-tidy why a check is off"
  exit 1
fi
