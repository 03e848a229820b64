#!/usr/bin/env bash
# Brokered execution end to end, on the PostgreSQL of this machine (127.0.0.1:5432, user postgres):
#   1. a database with an application role and a password only the gateway knows;
#   2. the gateway, with that password in its environment (APP_DB_URL) and nowhere else;
#   3. the agent (with its Countersign token only) reads rows at once, asks for an UPDATE that
#      a DBA approves, is refused an unscoped DELETE, and gates shell commands with `countersign exec`.
# Everything it creates is removed at the end. Run from anywhere: bash examples/brokered/demo.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cs() { node "$root/bin/countersign.js" "$@"; }
pg() { psql -h "${PGHOST:-127.0.0.1}" -U "${PGUSER:-postgres}" -v ON_ERROR_STOP=1 -qAt "$@"; }

work=$(mktemp -d)
db="cs_demo_$(node -e 'console.log(require("crypto").randomBytes(4).toString("hex"))')"
password=$(node -e 'console.log(require("crypto").randomBytes(18).toString("base64url"))')
gateway_pid=
cleanup() {
  [ -n "$gateway_pid" ] && kill "$gateway_pid" 2>/dev/null && wait "$gateway_pid" 2>/dev/null || true
  pg -d postgres -c "drop database if exists $db with (force)" -c "drop role if exists ${db}_app" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

step() { if [ -t 1 ]; then printf '\n\033[1m== %s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi; }

step "A database whose password only the gateway will know"
pg -d postgres -c "create role ${db}_app login password '$password'" -c "create database $db owner ${db}_app"
pg -d "$db" -c "set role ${db}_app" -c "create table users (id int primary key, email text not null, plan text not null)" \
  -c "insert into users values (1, 'ada@example.com', 'free'), (2, 'grace@example.com', 'free'), (42, 'linus@example.com', 'free')"

step "Tokens for the agent and two DBAs (countersign token create)"
agent=$(cs token create --agent analytics-agent 2>/dev/null); alice=$(cs token create --user alice@example.com 2>/dev/null); bob=$(cs token create --user bob@example.com 2>/dev/null)
cp "$here/policy.yaml" "$work/"
node --input-type=module -e '
  import { readFileSync, writeFileSync } from "node:fs"
  import { parse, stringify } from "yaml"
  const [source, target, agent, alice, bob] = process.argv.slice(1)
  const config = parse(readFileSync(source, "utf8"))
  const hash = (pair) => [pair.split("\n")[1]]
  config.identities.agents[0].token_sha256 = hash(agent)
  config.identities.humans[0].token_sha256 = hash(alice)
  config.identities.humans[1].token_sha256 = hash(bob)
  writeFileSync(target, stringify(config))
' "$here/countersign.yaml" "$work/countersign.yaml" "$agent" "$alice" "$bob"
agent=$(head -1 <<<"$agent"); alice=$(head -1 <<<"$alice"); bob=$(head -1 <<<"$bob")

step "The gateway, with APP_DB_URL in its environment only"
APP_DB_URL="postgres://${db}_app:${password}@${PGHOST:-127.0.0.1}:5432/$db" LOG_LEVEL=info \
  node "$root/bin/countersign.js" serve --config "$work/countersign.yaml" --port "${DEMO_PORT:-0}" >"$work/gateway.log" 2>&1 &
gateway_pid=$!
# Until the gateway says where it listens, or stops (a loaded machine may take long to start it).
url=
while [ -z "$url" ]; do
  url=$(grep -o '"url":"http://[^"]*"' "$work/gateway.log" 2>/dev/null | head -1 | cut -d'"' -f4 || true)
  [ -n "$url" ] && break
  kill -0 "$gateway_pid" 2>/dev/null || { echo "the gateway did not start"; cat "$work/gateway.log"; exit 1; }
  sleep 0.2
done
echo "serving at $url"

# The agent's environment: the gateway's URL and its own token. No database URL, no password.
as_agent() { env -u APP_DB_URL COUNTERSIGN_URL="$url" COUNTERSIGN_TOKEN="$agent" node "$root/bin/countersign.js" "$@"; }
as_alice() { COUNTERSIGN_URL="$url" COUNTERSIGN_TOKEN="$alice" node "$root/bin/countersign.js" "$@"; }
as_bob() { COUNTERSIGN_URL="$url" COUNTERSIGN_TOKEN="$bob" node "$root/bin/countersign.js" "$@"; }

step "The agent reads: read-only SQL is allowed and Countersign runs it"
as_agent submit --target app-db --sql "SELECT id, email, plan FROM users ORDER BY id" --reason "weekly plan report" --wait 30

step "The agent asks for a scoped UPDATE: one DBA must approve; the agent waits"
as_agent submit --target app-db --sql "UPDATE users SET plan = 'pro' WHERE id = 42" --reason "customer 42 upgraded" --wait 60 >"$work/update.out" &
waiting=$!
for _ in $(seq 1 100); do
  id=$(as_alice list --status pending --target app-db --json | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).actions[0]?.id ?? ""')
  [ -n "$id" ] && break
  sleep 0.2
done
echo "pending: $id"
echo "bob owns the agent, so his approval is refused:"
as_bob approve "$id" --reason "mine" 2>&1 || true
as_alice approve "$id" --reason "checked: one row, by primary key"
wait "$waiting"
cat "$work/update.out"

step "An unscoped DELETE is refused by policy, nothing runs"
as_agent submit --target app-db --sql "DELETE FROM users" || echo "(exit code $?: denied)"
pg -d "$db" -c "select id, plan from users order by id"

step "countersign exec: a harmless command runs at once, here"
as_agent exec --target build-host -- uname -s

step "countersign exec: anything else waits for a DBA, then runs here with a receipt"
as_agent exec --target build-host --reason "clear the build cache" -- sh -c 'echo "cache cleared"' &
waiting=$!
for _ in $(seq 1 100); do
  id=$(as_alice list --status pending --target build-host --json | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).actions[0]?.id ?? ""')
  [ -n "$id" ] && break
  sleep 0.2
done
as_alice approve "$id" --reason "fine" >/dev/null
wait "$waiting"

step "The audit chain"
as_alice audit verify || true
echo
echo "demo finished: everything it created is removed"
