#!/usr/bin/env bash
# HAProxy Runtime API: health event -> live state, and consecutive changes with long connections
# open (see README, "Figures").
# Usage: bench/runtime-api.sh [FLAPS [CHANGES]]
# Runs with the JVM options of systemd/lb-health-agent.service.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cp=$(scripts/test-classpath.sh)
LOG_LEVEL=WARN exec java $(bench/unit-jvm-options.sh) -cp "$cp" dev.lbhealth.agent.demo.RuntimeApiBenchmark "$@"
