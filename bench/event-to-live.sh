#!/usr/bin/env bash
# HAProxy Runtime API as an operator times it: the agent as `run` (its own process, the unit's
# JVM options), /events over HTTP, `show servers state` polled until it shows each change.
# Usage: bench/event-to-live.sh [FLAPS]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cp=$(scripts/test-classpath.sh)
LOG_LEVEL=WARN exec java $BENCH_OPTS -Dagent.jvm="$(bench/unit-jvm-options.sh)" -cp "$cp" dev.lbhealth.agent.demo.EventToLiveBenchmark "$@"
