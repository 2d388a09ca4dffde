#!/usr/bin/env bash
# Builds (once) the Debian 12 root file system that the real-systemd tests boot with
# systemd-nspawn, and prints its path. Cached in /var/cache/lb-health-agent-test: rebuilt only
# when the package list below changes. Needs root, debootstrap and the host's Debian mirror.
set -euo pipefail
packages=systemd,systemd-sysv,libpam-systemd,dbus,polkitd,adduser,openjdk-17-jre-headless,haproxy,nginx-light,libnginx-mod-stream,curl,iproute2,python3,procps,socat,ansible-core,python3-cffi-backend,python3-apt
cache=/var/cache/lb-health-agent-test
key=$(echo "$packages" | sha256sum | cut -c1-12)
rootfs=$cache/bookworm-$key
if [ -f "$rootfs.done" ]; then
  echo "$rootfs"
  exit 0
fi
mirror=$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(http[^ ]*\/debian\) bookworm .*/\1/p' /etc/apt/sources.list 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
mkdir -p "$cache"
rm -rf "$cache"/bookworm-*   # older package lists: rebuilt from scratch
echo "building $rootfs from $mirror (once; about 2-3 minutes)" >&2
debootstrap --variant=minbase --include="$packages" bookworm "$rootfs.tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 \
  || { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
# No service of the image's own should start at boot but systemd's: the tests start what they need.
chroot "$rootfs.tmp" systemctl disable haproxy.service nginx.service >/dev/null 2>&1 || true
echo lb-box > "$rootfs.tmp/etc/hostname"
rm -f "$rootfs.tmp/var/cache/apt/archives/"*.deb
mv "$rootfs.tmp" "$rootfs"
touch "$rootfs.done"
echo "$rootfs"
