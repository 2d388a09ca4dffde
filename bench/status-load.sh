#!/usr/bin/env bash
# /status and /metrics under wrk load while the agent probes 1,000 targets (see README, "Figures").
# Usage: bench/status-load.sh [SECONDS_PER_PHASE [WRK_CONNECTIONS [PAUSE_MS]]]
# Runs with the JVM options of systemd/lb-health-agent.service.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo; $sudo apt-get install -y -qq wrk >/dev/null; }
cp=$(scripts/test-classpath.sh)
LOG_LEVEL=WARN exec java $(bench/unit-jvm-options.sh) -cp "$cp" dev.lbhealth.agent.demo.StatusLoadBenchmark "$@"
