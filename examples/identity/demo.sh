#!/usr/bin/env bash
# Identity at execution, end to end, on the PostgreSQL of this machine (127.0.0.1:5432, user
# postgres) and the Terraform CLI on the PATH (built-in provider only: nothing is downloaded):
#   1. a ledger table with a trigger that records what the writing session says about itself;
#   2. the gateway, holding the database URL and a cloud token the agent never sees;
#   3. the agent asks for a scoped UPDATE on behalf of dave; alice and bob approve; the trigger's
#      row names the request, the agent, dave and both approvers;
#   4. the agent submits a Terraform plan; a swapped saved plan is refused even though the
#      approved JSON came with it; the approved plan applies, with the identity in its environment.
# Everything it creates is removed at the end. Run from anywhere: bash examples/identity/demo.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cs() { node "$root/bin/countersign.js" "$@"; }
pg() { psql -h "${PGHOST:-127.0.0.1}" -U "${PGUSER:-postgres}" -v ON_ERROR_STOP=1 -qAt "$@"; }
command -v terraform >/dev/null || { echo "this demo needs the Terraform CLI on the PATH"; exit 1; }

work=$(mktemp -d)
db="cs_identity_$(node -e 'console.log(require("crypto").randomBytes(4).toString("hex"))')"
password=$(node -e 'console.log(require("crypto").randomBytes(18).toString("base64url"))')
cloud_token=$(node -e 'console.log("demo-cloud-" + require("crypto").randomBytes(12).toString("hex"))')
gateway_pid=
cleanup() {
  [ -n "$gateway_pid" ] && kill "$gateway_pid" 2>/dev/null && wait "$gateway_pid" 2>/dev/null || true
  pg -d postgres -c "drop database if exists $db with (force)" -c "drop role if exists ${db}_app" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

step() { if [ -t 1 ]; then printf '\n\033[1m== %s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi; }

step "A ledger whose trigger records who changed it (as a DBA would install it)"
pg -d postgres -c "create role ${db}_app login password '$password'" -c "create database $db owner ${db}_app"
pg -d "$db" -c "set role ${db}_app" -f - <<'SQL'
create table accounts (id int primary key, balance bigint not null);
insert into accounts values (1, 100), (2, 250);
create table ledger_audit (
  at timestamptz default now(), account int, request_id text, agent text, on_behalf_of text, approvers text, application_name text
);
create function record_identity() returns trigger language plpgsql as $$
begin
  insert into ledger_audit (account, request_id, agent, on_behalf_of, approvers, application_name) values (
    new.id, current_setting('countersign.request_id', true), current_setting('countersign.agent', true),
    current_setting('countersign.on_behalf_of', true), current_setting('countersign.approvers', true),
    current_setting('application_name'));
  return new;
end $$;
create trigger accounts_identity after update on accounts for each row execute function record_identity();
SQL

step "A Terraform working directory, initialized (terraform_data only: nothing to download)"
cp -r "$here/infra" "$work/infra"
# quiet: Terraform's warnings go to a file, shown only when it fails.
tf() { (cd "$work/infra" && terraform "$@" 2>"$work/terraform.err") || { cat "$work/terraform.err"; return 1; }; }
tf init -input=false -no-color >/dev/null && echo "initialized $work/infra"

step "Tokens for the agent and the humans (countersign token create)"
agent=$(cs token create --agent deploy-bot 2>/dev/null); alice=$(cs token create --user alice@example.com 2>/dev/null); bob=$(cs token create --user bob@example.com 2>/dev/null)
cp "$here/policy.yaml" "$work/"
node --input-type=module -e '
  import { readFileSync, writeFileSync } from "node:fs"
  import { parse, stringify } from "yaml"
  const [source, target, infra, agent, alice, bob] = process.argv.slice(1)
  const config = parse(readFileSync(source, "utf8"))
  const hash = (pair) => [pair.split("\n")[1]]
  config.identities.agents[0].token_sha256 = hash(agent)
  config.identities.humans[0].token_sha256 = hash(alice)
  config.identities.humans[1].token_sha256 = hash(bob)
  config.targets.find((t) => t.name === "infra").connector.working_dir = infra
  writeFileSync(target, stringify(config))
' "$here/countersign.yaml" "$work/countersign.yaml" "$work/infra" "$agent" "$alice" "$bob"
agent=$(head -1 <<<"$agent"); alice=$(head -1 <<<"$alice"); bob=$(head -1 <<<"$bob")

step "The gateway, with the database URL and the cloud token in its environment only"
LEDGER_DB_URL="postgres://${db}_app:${password}@${PGHOST:-127.0.0.1}:5432/$db" DEMO_CLOUD_TOKEN="$cloud_token" LOG_LEVEL=info \
  node "$root/bin/countersign.js" serve --config "$work/countersign.yaml" --port "${DEMO_PORT:-0}" >"$work/gateway.log" 2>&1 &
gateway_pid=$!
url=
while [ -z "$url" ]; do
  url=$(grep -o '"url":"http://[^"]*"' "$work/gateway.log" 2>/dev/null | head -1 | cut -d'"' -f4 || true)
  [ -n "$url" ] && break
  kill -0 "$gateway_pid" 2>/dev/null || { echo "the gateway did not start"; cat "$work/gateway.log"; exit 1; }
  sleep 0.2
done
echo "serving at $url"

as_agent() { env -u LEDGER_DB_URL -u DEMO_CLOUD_TOKEN COUNTERSIGN_URL="$url" COUNTERSIGN_TOKEN="$agent" node "$root/bin/countersign.js" "$@"; }
as_alice() { COUNTERSIGN_URL="$url" COUNTERSIGN_TOKEN="$alice" node "$root/bin/countersign.js" "$@"; }
as_bob() { COUNTERSIGN_URL="$url" COUNTERSIGN_TOKEN="$bob" node "$root/bin/countersign.js" "$@"; }
# The id of the newest pending action on a target, once there is one.
pending() {
  local id=
  for _ in $(seq 1 150); do
    id=$(as_alice list --status pending --target "$1" --json | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).actions[0]?.id ?? ""')
    [ -n "$id" ] && break
    sleep 0.2
  done
  echo "$id"
}

step "The agent asks for a scoped UPDATE on behalf of dave; two DBAs approve"
as_agent submit --target ledger-db --sql "UPDATE accounts SET balance = balance - 25 WHERE id = 2" \
  --on-behalf-of dave@example.com --reason "refund for ticket SUP-1841" --wait 120 >"$work/update.out" &
waiting=$!
id=$(pending ledger-db)
echo "pending: $id"
as_alice approve "$id" --reason "one row, by primary key" >/dev/null
as_bob approve "$id" --reason "matches the ticket" >/dev/null
wait "$waiting"
cat "$work/update.out"
echo "the trigger's row (request | agent | on behalf of | approvers | application_name):"
pg -d "$db" -c "select request_id, agent, on_behalf_of, approvers, application_name from ledger_audit"

step "The agent plans a Terraform change (it has no cloud token) and a second, different plan"
tf plan -input=false -no-color -var release=1.4.2 -out=approved.tfplan >/dev/null
tf plan -input=false -no-color -var release=evil -out=swapped.tfplan >/dev/null
echo "planned approved.tfplan (release 1.4.2) and swapped.tfplan (release evil)"
payload() { # payload PLAN_FOR_JSON PLAN_FILE: the plan JSON reviewers see, and the saved plan that would be applied
  tf show -json "$1" | node -e '
    const plan = JSON.parse(require("fs").readFileSync(0, "utf8"))
    const saved = require("fs").readFileSync(process.argv[1]).toString("base64")
    console.log(JSON.stringify({ plan, saved_plan: saved }))' "$work/infra/$2"
}
payload approved.tfplan approved.tfplan >"$work/approved.json"
payload approved.tfplan swapped.tfplan >"$work/swapped.json"

step "A saved plan other than the approved plan JSON is refused, even once approved"
as_agent submit --target infra --kind terraform --payload "@$work/swapped.json" --reason "release 1.4.2" --wait 120 >"$work/swapped.out" 2>&1 &
waiting=$!
id=$(pending infra)
as_alice approve "$id" --reason "release 1.4.2, no destroys" >/dev/null
wait "$waiting" || true
grep -E "result:|error:" "$work/swapped.out"
[ -e "$work/infra/deploy.log" ] && echo "something was applied!" || echo "nothing was applied"

step "The approved plan applies, with the cloud token and the identity in Terraform's environment"
as_agent submit --target infra --kind terraform --payload "@$work/approved.json" --on-behalf-of dave@example.com --reason "release 1.4.2" --wait 120 >"$work/apply.out" 2>&1 &
waiting=$!
id=$(pending infra)
as_alice approve "$id" --reason "release 1.4.2, no destroys" >/dev/null
wait "$waiting"
grep -E "result:|state:|\(local-exec\): release|Apply complete" "$work/apply.out"

step "The audit chain"
as_alice audit verify || true
echo
echo "demo finished: everything it created is removed"
