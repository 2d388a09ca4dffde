#!/usr/bin/env bash
# The seed's problem solved, on loopback, with a real HAProxy: builds the agent and runs the demo.
#   ./demo.sh [--lb nginx]               the seed's scenario (HAProxy by default)
#   ./demo.sh --kubernetes [--lb nginx]  the Kubernetes act, with a stand-in API server
# The demo lives in src/demo, outside the shipped jar, so it runs from the source tree.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
cp=$(scripts/test-classpath.sh)
if [ "${1:-}" = "--kubernetes" ]; then
  shift
  exec java -cp "$cp" dev.lbhealth.agent.demo.KubernetesDemo "$@"
fi
exec java -cp "$cp" dev.lbhealth.agent.demo.DemoCommand "$@"
