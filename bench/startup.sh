#!/usr/bin/env bash
# Start-up (see README, "Figures"): process start -> first apply, 3 services x 3 nodes, the shipped
# jar with the unit's JVM options.  Usage: bench/startup.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cp=$(scripts/test-classpath.sh)
[ -f target/lb-health-agent.jar ] || mvn -B -q package -DskipTests
exec java -Dagent.jvm="$(bench/unit-jvm-options.sh)" -cp "$cp" dev.lbhealth.agent.demo.StartupBenchmark "${1:-7}" target/lb-health-agent.jar
