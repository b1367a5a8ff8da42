#!/usr/bin/env bash
# CI entry point: run the conformance suite against ocirun and, when Debian's runc (or crun) is
# installed, against it, and fail on any difference from conformance/expectations/ (a new failure, or a new
# pass not yet recorded). Record intended changes with `node conformance/report.mjs --update`.
# The runtimes run concurrently (runc's run is mostly idle waiting), then one side-by-side table
# is printed from their reports.
set -uo pipefail
cd "$(dirname "$0")/.."
ocirun=${OCIRUN_CLI:-dist/cli/ocirun.cjs}
# the suite drives the built CLI; npm test builds it, a standalone run may not have
[ -f "$ocirun" ] || npm run build || exit 1
work=$(mktemp -d /tmp/oci-conformance-ci-XXXXXX)
trap 'rm -rf "$work"' EXIT

runtimes=("ocirun=$ocirun")
if [ -x /usr/sbin/runc ]; then runtimes+=("runc=/usr/sbin/runc"); fi
# crun only when asked (CONFORMANCE_CRUN=1; .ci/run does not install it, so a machine that happens
# to have it gives CI the same verdict as one without): through the wrapper that hides a hybrid layout
if [ "${CONFORMANCE_CRUN:-0}" = 1 ] && [ -x /usr/bin/crun ]; then runtimes+=("crun=conformance/crun-hybrid.sh"); fi
pids=()
# Interrupted: stop the suites too, or they go on creating containers.
trap 'kill "${pids[@]}" 2>/dev/null; exit 130' INT TERM
for rt in "${runtimes[@]}"; do
  name=${rt%%=*}
  node conformance/report.mjs --check --runtime "$rt" --keep-json "$work/json" >"$work/$name.log" 2>&1 &
  pids+=($!)
done
status=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || status=1
done

results=()
for rt in "${runtimes[@]}"; do
  name=${rt%%=*}
  [ -f "$work/json/$name.json" ] && results+=(--results "$name=$work/json/$name.json")
done
if [ ${#results[@]} -gt 0 ]; then node conformance/report.mjs "${results[@]}" || status=1; fi
# COVERAGE.md's generated part matches the tests and expectations, and cites no missing test
node conformance/coverage.mjs --check || status=1
# the check verdicts (differences from the expectations) of each runtime
for rt in "${runtimes[@]}"; do
  name=${rt%%=*}
  echo "---- $name"
  # the verdict: "NAME: matches ...", or the differences, the COVERAGE.md check and the hint
  verdict=$(sed -n "/^report: /p; /^$name: /,\$p; /^COVERAGE.md /p" "$work/$name.log")
  if [ -n "$verdict" ]; then echo "$verdict"; else cat "$work/$name.log"; fi
done
exit $status
