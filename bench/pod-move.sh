#!/usr/bin/env bash
# Pod-move benchmark with a real HAProxy on loopback (see README, "Figures").
# Usage: bench/pod-move.sh [MOVES] [GAP_MS] [STEADY_CONNECTIONS] [haproxy|nginx]
# Runs with the JVM options of systemd/lb-health-agent.service.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cp=$(scripts/test-classpath.sh)
exec java $(bench/unit-jvm-options.sh) -cp "$cp" dev.lbhealth.agent.demo.PodMoveBenchmark "${1:-20}" "${2:-300}" "${3:-2000}" ${4:+"$4"}
