#!/usr/bin/env bash
# The whole test suite: unit tests and end-to-end tests against real HAProxy and nginx.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
exec mvn -B verify "$@"
