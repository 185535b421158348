#!/usr/bin/env bash
# The newcomer's path in README ("Start from your own document"), done for real in a fresh directory:
# install the packed specbind, init from petstore-expanded, fill one handler, tsc, serve, check.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
specs="${SPECS:-$repo/../shared/specs}"
work="$(mktemp -d)"
server=""
# `npx specbind serve &` is npx's pid; the server is its child (or grandchild), which a SIGTERM to npx
# leaves running: every process below it is stopped, deepest first, then npx.
stop_tree() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do stop_tree "$child"; done
  kill "$1" 2>/dev/null || true
}
cleanup() { if [ -n "$server" ]; then stop_tree "$server"; fi; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "newcomer: FAILED: $*" >&2; exit 1; }

(cd "$repo" && npm run build --silent >/dev/null && npm pack --silent --pack-destination "$work" >/dev/null)
tarball="$(ls "$work"/specbind-*.tgz)"
cd "$work"

# --- the README walkthrough, command for command ---
npm init -y >/dev/null
npm install --no-audit --no-fund --loglevel=error "$tarball" typescript@5 @types/node@20 >/dev/null
mkdir -p openapi && cp "$specs/oai-examples/v3.0/petstore-expanded.yaml" openapi/api.yaml
npx specbind init
# fill findPets: a one-line edit of its stub
node -e "
const fs = require('fs'); const f = 'handlers/default.ts';
const stub = \"notImplemented('findPets', 'handlers/default.ts')\";
const text = fs.readFileSync(f, 'utf8');
if (!text.includes(stub)) throw new Error('stub not found');
fs.writeFileSync(f, text.replace(stub, \"async (input) => [{ id: 1, name: 'Rex' }].slice(0, input.limit ?? 10)\"));"
npx tsc --noEmit --strict --skipLibCheck --module commonjs --moduleResolution node --target es2022 --types node openapi/api.types.ts handlers/*.ts
port=$((20000 + RANDOM % 20000))
npx specbind serve --port "$port" > serve.log 2>&1 &
server=$!
# --- checks ---
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
filled=$(curl -s -o body.json -w '%{http_code}' "http://127.0.0.1:$port/v2/pets?limit=5")
[ "$filled" = 200 ] || fail "GET /v2/pets answered $filled: $(cat body.json) $(tail -5 serve.log)"
grep -q '"name":"Rex"' body.json || fail "GET /v2/pets body: $(cat body.json)"
stub=$(curl -s -o stub.json -w '%{http_code}' -X POST -H 'content-type: application/json' -d '{"name":"Tom"}' "http://127.0.0.1:$port/v2/pets")
[ "$stub" = 501 ] || fail "POST /v2/pets answered $stub, expected 501: $(cat stub.json)"
grep -q 'addPet is not implemented yet' stub.json || fail "the 501 does not name addPet: $(cat stub.json)"
if npx specbind check > check.txt; then fail "specbind check passed with unfilled stubs"; fi
for op in addPet deletePet 'find pet by id'; do grep -q "($op): is still the generated stub" check.txt || fail "check does not list $op: $(cat check.txt)"; done
if grep -q '(findPets): is still the generated stub' check.txt; then fail "check lists the filled findPets"; fi
echo "newcomer path: 1 passed, 0 failed"
