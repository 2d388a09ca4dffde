#!/usr/bin/env bash
# The seed's problem solved, on loopback, with a real HAProxy: builds the agent and runs the demo.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
mvn -B -q package -DskipTests
exec java -jar target/lb-health-agent.jar demo "$@"
