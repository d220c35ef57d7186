#!/usr/bin/env bash
# Installs Debian's rsyslog when rsyslogd is missing, for tests/syslog.rs (a real rsyslogd round
# trip). The tests start their own rsyslogd on loopback ports with a config in a temp dir: this
# script only installs the binary and never starts, enables or reconfigures the system service.
set -euo pipefail

have_rsyslogd() {
  command -v rsyslogd >/dev/null 2>&1 || [ -x /usr/sbin/rsyslogd ]
}

if have_rsyslogd; then
  echo "rsyslogd already installed: $(command -v rsyslogd || echo /usr/sbin/rsyslogd)"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "rsyslogd is missing and installing it needs root (apt-get install rsyslog)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
# --no-install-recommends: logrotate and the like are not needed to run a test instance.
apt-get install -y --no-install-recommends rsyslog

have_rsyslogd || { echo "rsyslog installed but rsyslogd not found" >&2; exit 1; }
echo "installed: $(/usr/sbin/rsyslogd -v | head -1)"
