#!/usr/bin/env bash
# Installs the real servers the test suite starts on loopback: an authoritative DNS server (knot),
# a DNS front that adds latency (dnsdist, for bench/), Postfix + OpenDKIM + OpenDMARC + the SPF
# policy daemon + Dovecot (canary e2e lab), PostgreSQL, promtool (prometheus, for /metrics), systemd-analyze (systemd, to verify the unit) and headless Chromium with its
# chromedriver (the weekly report's pages, screenshotted by Selenium). Their own system services stay down;
# the tests start each daemon with a config of their own. Does nothing when all are present.
set -euo pipefail
PKGS=(
  knot knot-dnsutils dnsdist
  postfix opendkim opendkim-tools opendmarc postfix-policyd-spf-python
  dovecot-core dovecot-imapd dovecot-lmtpd
  postgresql iproute2 ca-certificates openssl
  prometheus systemd
  chromium chromium-driver
)
if dpkg -s "${PKGS[@]}" >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
echo "opendmarc opendmarc/dbconfig-install boolean false" | $SUDO debconf-set-selections
# Keep package scripts from starting system services (they would bind the ports we use).
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
fi
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -q
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${PKGS[@]}"
