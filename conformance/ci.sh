#!/usr/bin/env bash
# CI entry point: run the conformance suite against ocirun and, when Debian's runc is installed,
# against runc, and fail on any difference from conformance/expectations/ (a new failure, or a new
# pass not yet recorded). Record intended changes with report.mjs --update.
set -euo pipefail
cd "$(dirname "$0")/.."
# the suite drives the built CLI; npm test builds it, a standalone run may not have
[ -f dist/lib/cli/main.js ] || npm run build
args=(--check --runtime ocirun=dist/lib/cli/main.js)
if [ -x /usr/sbin/runc ]; then args+=(--runtime runc=/usr/sbin/runc); fi
exec node conformance/report.mjs "${args[@]}"
