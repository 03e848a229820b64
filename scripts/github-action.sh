#!/usr/bin/env bash
# The GitHub Action (action.yml): asks Countersign to run the step's command as a shell action on
# $CS_TARGET with the job's OIDC token, shows the request and its console link in the job log and
# the step summary, waits for the decision and runs the command here once approved (countersign
# exec: exits with the command's code, or 10 pending, 11 denied, 12 expired or cancelled).
# The token is fetched from the runtime's endpoint again before it expires and after a 401, so a
# review may take longer than the token's five minutes.
set -euo pipefail

: "${COUNTERSIGN_URL:?set the url input}"
: "${CS_TARGET:?set the target input}"
: "${CS_RUN:?set the run input}"
if [[ -z "${ACTIONS_ID_TOKEN_REQUEST_URL:-}" || -z "${ACTIONS_ID_TOKEN_REQUEST_TOKEN:-}" ]]; then
  echo "::error::no OIDC token for this job: give the workflow 'permissions: id-token: write'" >&2
  exit 2
fi
cli=${CS_CLI:-countersign}

here=$(cd "$(dirname "$0")" && pwd)
# A fresh OIDC token of this job for the audience, each time the CLI asks (before it expires, after a 401).
export COUNTERSIGN_TOKEN_COMMAND="node '$here/github-oidc-token.mjs'"
unset COUNTERSIGN_TOKEN

log=$(mktemp)
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
# The request's id and link, in the summary as soon as exec prints them (it waits meanwhile).
(
  for _ in $(seq 1 600); do
    line=$(grep -m1 -E '^act_[0-9a-z]{26} ' "$log" 2>/dev/null || true)
    if [[ -n $line ]]; then
      id=${line%% *}
      link=$(grep -m1 -oE 'https?://[^ ]+/actions/act_[0-9a-z]{26}' "$log" || true)
      printf '### Countersign request %s\n\n`%s` on `%s`: %s\n\n' "$id" "$CS_RUN" "$CS_TARGET" "${link:-waiting for a decision}" >>"$summary"
      echo "::notice title=Countersign::request $id ${link:+— approve it at $link}"
      exit 0
    fi
    sleep 1
  done
) &
watcher=$!

set +e
# shellcheck disable=SC2086 # CS_CLI may be "node /path/to/countersign.js"
$cli exec --target "$CS_TARGET" ${CS_REASON:+--reason "$CS_REASON"} ${CS_WAIT:+--wait "$CS_WAIT"} -- bash -c "$CS_RUN" 2> >(tee "$log" >&2)
code=$?
set -e
wait "$watcher" 2>/dev/null || true
case $code in
  10) outcome='still pending when the wait ended: not run' ;;
  11) outcome='denied: not run' ;;
  12) outcome='expired or cancelled: not run' ;;
  0) outcome='approved and run: exit code 0' ;;
  *) outcome="exit code $code" ;;
esac
printf '**Outcome:** %s\n' "$outcome" >>"$summary"
exit "$code"
