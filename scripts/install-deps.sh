#!/usr/bin/env bash
# Installs the Debian packages the demo and the test suite drive for real.
# Does nothing when they are all there already.
set -euo pipefail
packages=(haproxy nginx-light libnginx-mod-stream ansible-core ansible-lint keepalived polkitd curl chromium lintian systemd-container debootstrap socat)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
