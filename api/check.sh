#!/usr/bin/env bash
# The public API must not change by accident: regenerates the snapshot of each published crate
# from rustdoc's JSON (see api/snapshot.py) and fails when it differs from the committed one.
# A change made on purpose is committed with its new snapshot: `bash api/check.sh --bless`.
set -euo pipefail
cd "$(dirname "$0")/.."
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
# First the script itself: on a crate made to hold each kind of change it must see (variant
# payloads, bounds, associated types, deprecation, paths through private modules).
RUSTC_BOOTSTRAP=1 cargo rustdoc -q --manifest-path api/selftest/Cargo.toml --target-dir "$target" -- \
  -Z unstable-options --output-format json
if ! python3 api/snapshot.py "$target/doc/snapshot_selftest.json" | diff -u api/selftest/expected.txt -; then
  echo "api/snapshot.py no longer describes api/selftest as api/selftest/expected.txt says (above)."
  exit 1
fi
status=0
for pkg in scoped-logger-runtime scoped-logger; do
  # rustdoc's JSON output is unstable: RUSTC_BOOTSTRAP lets the stable toolchain produce it.
  RUSTC_BOOTSTRAP=1 cargo rustdoc -q -p "$pkg" --all-features -- -Z unstable-options --output-format json
  new="$target/api-$pkg.txt"
  python3 api/snapshot.py "$target/doc/${pkg//-/_}.json" > "$new"
  if [ "${1:-}" = "--bless" ]; then
    cp "$new" "api/$pkg.txt"
  elif ! diff -u "api/$pkg.txt" "$new"; then
    echo "The public API of $pkg changed (above: - committed, + now). If that is on purpose, run"
    echo "'bash api/check.sh --bless' and commit api/$pkg.txt with the change."
    status=1
  fi
done
exit $status
