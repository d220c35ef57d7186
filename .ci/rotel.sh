#!/usr/bin/env bash
# Installs rotel, an OpenTelemetry collector written in Rust, from PyPI (its wheel carries the
# `rotel-agent` binary), for tests/otlp.rs: the tests start their own rotel-agent on free
# loopback ports and find the binary inside the installed package. This script starts nothing.
set -euo pipefail

rotel_dir() {
  python3 -c 'import rotel, os; print(os.path.dirname(rotel.__file__))' 2>/dev/null
}

if dir=$(rotel_dir) && [ -x "$dir/rotel-agent" ]; then
  echo "rotel already installed: $("$dir/rotel-agent" --version)"
  exit 0
fi

command -v python3 >/dev/null || { echo "python3 is needed to install rotel (pip install rotel)" >&2; exit 1; }
# A Debian system python refuses installs outside a virtual environment (PEP 668); this is a
# CI machine of its own, so install there all the same rather than fail.
python3 -m pip install --quiet --disable-pip-version-check rotel \
  || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages rotel

dir=$(rotel_dir) && [ -x "$dir/rotel-agent" ] || { echo "rotel installed but no rotel-agent in it" >&2; exit 1; }
echo "installed: $("$dir/rotel-agent" --version)"
