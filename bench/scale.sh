#!/usr/bin/env bash
# The agent at scale (see README, "Figures"): one service of N healthy nodes on loopback
# addresses, the agent in its own process with the JVM options of systemd/lb-health-agent.service.
# Usage: bench/scale.sh [SIZES] [SECONDS]   e.g. bench/scale.sh 1000,3000,5000,10000 30
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cp=$(scripts/test-classpath.sh)
ulimit -n 65536 2>/dev/null || true
LOG_LEVEL=WARN exec java -Dagent.jvm="$(bench/unit-jvm-options.sh)" -cp "$cp" dev.lbhealth.agent.demo.ScaleBenchmark "$@"
