#!/usr/bin/env bash
# Prints the JVM options of systemd/lb-health-agent.service's ExecStart, so that every benchmark
# measures the agent with the heap and GC it ships with (the unit's Environment= lines other than
# LOG_LEVEL reach the agent too: AgentProcess reads them from the unit).
set -euo pipefail
cd "$(dirname "$0")/.."
sed -n 's|^ExecStart=/usr/bin/java \(.*\) -jar .*|\1|p' systemd/lb-health-agent.service
