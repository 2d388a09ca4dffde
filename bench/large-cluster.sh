#!/usr/bin/env bash
# A large cluster through Kubernetes discovery: N nodes and N pods in a stand-in API server, the
# agent in its own JVM with the unit's options, a real HAProxy (see README, "Figures").
# Usage: bench/large-cluster.sh [N ...]   (default: 2000 5000)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cp=$(scripts/test-classpath.sh)
ulimit -n 65536 2>/dev/null || true
LOG_LEVEL=WARN exec java -Dagent.jvm="$(bench/unit-jvm-options.sh)" -cp "$cp" dev.lbhealth.agent.demo.LargeClusterBenchmark "$@"
