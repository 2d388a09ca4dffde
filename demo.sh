#!/usr/bin/env bash
# The seed's problem solved, on loopback, with a real HAProxy: builds the agent and runs the demo.
# ./demo.sh --kubernetes [--lb nginx]: the Kubernetes act, with a stand-in API server (test scope).
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
if [ "${1:-}" = "--kubernetes" ]; then
  shift
  cp=$(scripts/test-classpath.sh)
  exec java -cp "$cp" dev.lbhealth.agent.demo.KubernetesDemo "$@"
fi
mvn -B -q package -DskipTests
exec java -jar target/lb-health-agent.jar demo "$@"
