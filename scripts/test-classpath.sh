#!/usr/bin/env bash
# Compiles the tests and prints the classpath of the test-scope programs (the Kubernetes demo act
# and benchmark, which use fabric8's stand-in API server and so stay out of the shipped jar).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q test-compile >&2
mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt >&2
echo "target/test-classes:target/classes:$(cat target/test-classpath.txt)"
