#!/usr/bin/env bash
# Kubernetes discovery: rolling updates through a real HAProxy and nginx with a stand-in API
# server (see README, "Figures").
# Usage: bench/kubernetes.sh [MOVES]
# Runs with the JVM options of systemd/lb-health-agent.service.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cp=$(scripts/test-classpath.sh)
LOG_LEVEL=WARN exec java $(bench/unit-jvm-options.sh) -cp "$cp" dev.lbhealth.agent.demo.KubernetesBenchmark "$@"
