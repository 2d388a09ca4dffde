#!/usr/bin/env bash
# Compiles the demo (src/demo) and the tests, and prints the classpath they run on: the demo, the
# benchmarks and the pretend pods are no part of the shipped jar, and the Kubernetes act uses
# fabric8's stand-in API server, a test dependency.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt >&2
echo "target/test-classes:target/classes:$(cat target/test-classpath.txt)"
