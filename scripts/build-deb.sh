#!/usr/bin/env bash
# Builds target/lb-health-agent_VERSION_all.deb from the shaded jar and the files in the
# repository (called by `mvn package`; needs only dpkg-deb and gzip, both in every Debian).
# Usage: scripts/build-deb.sh VERSION
set -euo pipefail
cd "$(dirname "$0")/.."
version=$1
top=$(sed -n '1s/^lb-health-agent (\([^)]*\)).*/\1/p' src/deb/changelog)
if [ "$top" != "$version" ]; then
  echo "src/deb/changelog starts with version '$top', the pom says '$version': add a changelog entry" >&2
  exit 1
fi
root=target/deb/root
rm -rf target/deb
install -d -m 0755 "$root/DEBIAN" "$root/usr/share/lb-health-agent/systemd" "$root/lib/systemd/system" \
  "$root/etc/lb-health-agent" "$root/usr/share/doc/lb-health-agent/examples"
install -m 0644 target/lb-health-agent.jar "$root/usr/share/lb-health-agent/"
install -m 0644 systemd/lb-health-agent.service systemd/lb-health-agent-apply.service systemd/lb-health-agent-apply.socket \
  "$root/lib/systemd/system/"
install -m 0644 systemd/lb-health-agent.service.d/nginx.conf "$root/usr/share/lb-health-agent/systemd/nginx.conf"
install -m 0644 config/haproxy-seed.yaml "$root/etc/lb-health-agent/agent.yaml"
install -m 0644 config/*.yaml "$root/usr/share/doc/lb-health-agent/examples/"
install -m 0644 src/deb/copyright "$root/usr/share/doc/lb-health-agent/"
gzip -9nc src/deb/changelog > "$root/usr/share/doc/lb-health-agent/changelog.gz"
chmod 0644 "$root/usr/share/doc/lb-health-agent/changelog.gz"
for f in postinst prerm postrm; do install -m 0755 "src/deb/control/$f" "$root/DEBIAN/"; done
install -m 0644 src/deb/control/conffiles "$root/DEBIAN/"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$size/" src/deb/control/control > "$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
SOURCE_DATE_EPOCH=$(date -d "$(sed -n 's/^ -- .*>  //p' src/deb/changelog | head -1)" +%s) \
  dpkg-deb --root-owner-group -Zxz --build "$root" "target/lb-health-agent_${version}_all.deb" >/dev/null
echo "target/lb-health-agent_${version}_all.deb"
