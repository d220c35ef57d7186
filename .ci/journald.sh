#!/usr/bin/env bash
# Installs Debian's systemd (for its systemd-journald and journalctl) when journald is missing,
# for tests/journald.rs. The tests start journald themselves when its socket is absent and stop
# only what they started: this script only installs the binaries, it starts nothing.
set -euo pipefail

have_journald() {
  [ -x /lib/systemd/systemd-journald ] && command -v journalctl >/dev/null 2>&1
}

if have_journald; then
  echo "systemd-journald already installed: $(journalctl --version | head -1)"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "systemd-journald is missing and installing it needs root (apt-get install systemd)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends systemd

have_journald || { echo "systemd installed but systemd-journald not found" >&2; exit 1; }
echo "installed: $(journalctl --version | head -1)"
