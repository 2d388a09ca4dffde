#!/usr/bin/env bash
# HAProxy Runtime API: health event -> live state, and consecutive changes with long connections
# open (see README, "Figures"). Runs with the JVM options of systemd/lb-health-agent.service.
# Usage: bench/runtime-api.sh [FLAPS [CHANGES]]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
[ -f target/lb-health-agent.jar ] || mvn -B -q package -DskipTests
LOG_LEVEL=WARN exec java -XX:+ExitOnOutOfMemoryError -XX:+UseSerialGC -Xms32m -Xmx128m \
  -cp target/lb-health-agent.jar dev.lbhealth.agent.demo.RuntimeApiBenchmark "$@"
