#!/usr/bin/env bash
# A long run (see README, "Figures"): 1,000 targets, one node flapping every 2 s, the agent in
# its own process with the unit's JVM options; heap after a full GC, RSS, threads and file
# descriptors every minute. Runs from a copy of the classpath, so a build meanwhile cannot
# disturb it.  Usage: bench/soak.sh [MINUTES] [TARGETS]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cp=$(scripts/test-classpath.sh)
copy=$(mktemp -d /tmp/lb-health-agent-soak-cp.XXXXXX)
cp -r target/classes "$copy/classes" && cp -r target/test-classes "$copy/test-classes"
cp="${cp//target\/test-classes/$copy/test-classes}"; cp="${cp//target\/classes/$copy/classes}"
ulimit -n 65536 2>/dev/null || true
LOG_LEVEL=WARN exec java -Dagent.jvm="$(bench/unit-jvm-options.sh)" -cp "$cp" dev.lbhealth.agent.demo.SoakBenchmark "$@"
