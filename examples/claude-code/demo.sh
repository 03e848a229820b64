#!/usr/bin/env bash
# The Claude Code hook without Claude Code: sends it the events Claude Code would send for three
# Bash commands, runs what it allows (as Claude Code would) and reports the outcome with --post.
# Against the quickstart (`npx countersign serve`):
#
#   COUNTERSIGN_URL=http://127.0.0.1:8470 COUNTERSIGN_TOKEN=<the agent's demo token> bash examples/claude-code/demo.sh
#
# 1. `df -h` only looks: the policy allows it; the hook redeems its receipt and answers allow; it
#    runs here, and the PostToolUse hook records its output as the outcome.
# 2. `rm -rf ./build` is denied by the policy: deny, with the policy's message for the model.
# 3. `touch /tmp/countersign-hook-demo` writes, so it needs an on-call approval: after --wait 3 the
#    hook denies with the request's id and console link. Approve it (`countersign approve ID` as
#    alice), run the demo again with the same COUNTERSIGN_HOOK_STATE, and the same command is
#    allowed on that request (and runs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
state=${COUNTERSIGN_HOOK_STATE:-$(mktemp -d)}
hook() { node "$root/bin/countersign.js" hook claude-code --target build-host --wait 3 --state-dir "$state" "$@"; }
# A hook event as Claude Code sends it: event name, command, tool call id, and for PostToolUse the output.
event() {
  node -e 'const [name, command, id, stdout] = process.argv.slice(1); console.log(JSON.stringify({
    session_id: "demo-session", transcript_path: "/tmp/demo-session.jsonl", cwd: process.cwd(), permission_mode: "default",
    hook_event_name: name, tool_name: "Bash", tool_input: { command, description: "demo" }, tool_use_id: id,
    ...(name === "PostToolUse" && { tool_response: { stdout, stderr: "", interrupted: false, isImage: false } }) }))' "$@"
}

n=0
for command in 'df -h' 'rm -rf ./build' 'touch /tmp/countersign-hook-demo'; do
  n=$((n + 1)); id="toolu_demo_$$_$n"
  printf '\n$ %s\n' "$command"
  answer=$(event PreToolUse "$command" "$id" | hook)
  decision=$(printf '%s' "$answer" | node -e 'const { hookSpecificOutput: d } = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(`${d.permissionDecision}: ${d.permissionDecisionReason}`)')
  echo "  $decision"
  if [[ $decision == allow:* ]]; then
    output=$(bash -c "$command" 2>&1 || true)
    printf '%s\n' "$output" | sed 's/^/  | /'
    event PostToolUse "$command" "$id" "$output" | hook --post
  fi
done
echo
echo "Remembered requests are in $state (set COUNTERSIGN_HOOK_STATE=$state to reuse them)."
