#!/usr/bin/env bash
# HAProxy Runtime API: health event -> live state, and consecutive changes with long connections
# open (see README, "Figures").
# Usage: bench/runtime-api.sh [FLAPS [CHANGES]]
# Runs with the JVM options of systemd/lb-health-agent.service.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
[ -f target/lb-health-agent.jar ] || mvn -B -q package -DskipTests
LOG_LEVEL=WARN exec java $(bench/unit-jvm-options.sh) -cp target/lb-health-agent.jar dev.lbhealth.agent.demo.RuntimeApiBenchmark "$@"
