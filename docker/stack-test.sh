#!/usr/bin/env bash
# docker/compose.yaml's stack (three replicas behind nginx, on PostgreSQL) run for real and put
# through failures under load, on a machine that cannot pull images (issue 20):
#   1. a private dockerd (its own socket and data root, in a tmpfs; --bridge=none --iptables=false, as
#      image-test.sh: Compose's own network, its embedded DNS and the published port, served by
#      docker-proxy, need neither the default bridge nor iptables),
#   2. the images, all on one local Debian bookworm base made with debootstrap: node:24-bookworm-slim
#      (Node 24 from the npm registry, as image-test.sh makes it) and on it the specbind image from
#      docker/Dockerfile; stand-ins for nginx and postgres from Debian's packages
#      (docker/stack-test/*.Dockerfile),
#   3. docker/compose.yaml unchanged but for docker/compose.stack-test.yaml (those two image names), with
#      a generated env file (a random API key and password; HTTP_PORT bound to 127.0.0.1 only),
#   4. docker/stack-test/driver.ts: load through nginx and the checks (every replica serves; kill -9 of
#      one; a rolling restart; PostgreSQL stopped for 10 s), a report, exit 1 when a check fails.
# The load stays under nginx.conf's rate limit (40 requests/s from one address, against 50/s), which is
# used as it is. Needs root, Debian's docker.io, docker-compose and debootstrap (installed if missing),
# deb.debian.org and the npm registry (debootstrap, the images' apt-get and npm ci), and this checkout's
# node_modules (the driver runs with tsx). Everything it starts or makes is removed on exit.
# Takes 2.5 to 3.5 minutes here (1.5 building images, 1 of load); CI runs it only with SPECBIND_STACK_TEST=1.
#
# `bash docker/stack-test.sh ctl <action> ...` is how the driver acts on the running stack (see ctl()).
set -euo pipefail
cd "$(dirname "$0")/.."

DOCKER=/usr/bin/docker   # Debian's client, the same version as its dockerd (not another docker on PATH)

# ---- acting on the stack: the driver calls these while its load runs ---------------------------------
# Environment: DOCKER_HOST, STACK_PROJECT (exported by the run below).

# The container of a compose service (and replica number), found by Compose's labels (v1 and v2 name
# containers differently).
container() {
  local id
  id=$($DOCKER ps -aq --filter "label=com.docker.compose.project=$STACK_PROJECT" \
    --filter "label=com.docker.compose.service=$1" --filter "label=com.docker.compose.container-number=${2:-1}")
  [ -n "$id" ] || { echo "stack-test: no container for $1 ${2:-1}" >&2; return 1; }
  echo "$id"
}

ctl() {
  local action=${1:?ctl: no action}; shift
  local c pid child started
  case $action in
    kill) # kill -9 of replica $1's server process, as a crash or the OOM killer ends it. Docker's restart
      # policy (unless-stopped) brings the container back; `docker kill` would not do: Docker counts it
      # as a manual stop and never restarts the container after it.
      c=$(container specbind "$1")
      pid=$($DOCKER inspect -f '{{.State.Pid}}' "$c")
      child=$(pgrep -P "$pid" | head -n 1 || true)   # init: true, so PID 1 is docker-init and node its child
      kill -KILL "${child:-$pid}" ;;
    stop) # SIGTERM (docker stop, within compose's 20 s grace), waits for the exit: "<exit code> <ms>"
      c=$(container specbind "$1")
      started=$(date +%s%N)
      $DOCKER stop -t 20 "$c" >/dev/null
      echo "$($DOCKER inspect -f '{{.State.ExitCode}}' "$c") $((($(date +%s%N) - started) / 1000000))" ;;
    start) $DOCKER start "$(container specbind "$1")" >/dev/null ;;
    http) # GET $2 from replica $1 itself (nginx hides /metrics; replicas publish no port): status, then body
      $DOCKER exec "$(container specbind "$1")" node -e "
        fetch('http://127.0.0.1:3000' + process.argv[1], { signal: AbortSignal.timeout(5000) }).then(
          async (r) => process.stdout.write(r.status + '\n' + (await r.text())),
          (e) => process.stdout.write('0\n' + e.message))" "$2" ;;
    connect) # how replica $1 reaches host $2 port $3: the name lookup, then a TCP connect (each timed)
      $DOCKER exec "$(container specbind "$1")" node -e "
        const [host, port] = process.argv.slice(1), t = Date.now(), ms = () => (Date.now() - t) + ' ms';
        require('dns').lookup(host, { all: true }, (e, found) => {
          if (e) return console.log('lookup ' + host + ': ' + e.code + ' after ' + ms());
          const address = found[0].address, lookedUp = ms();
          const s = require('net').connect({ host: address, port: +port, timeout: 6000 });
          s.on('connect', () => { console.log('lookup ' + address + ' in ' + lookedUp + ', connected in ' + ms()); s.destroy(); });
          s.on('timeout', () => { console.log('lookup ' + address + ' in ' + lookedUp + ', connect: no answer after ' + ms()); s.destroy(); });
          s.on('error', (err) => console.log('lookup ' + address + ' in ' + lookedUp + ', connect: ' + err.code + ' after ' + ms()));
        })" "$2" "$3" ;;
    identity) # which process this is: a restart changes it
      $DOCKER inspect -f '{{.State.Status}} started={{.State.StartedAt}} restarts={{.RestartCount}} ip={{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' \
        "$(container specbind "$1")" ;;
    pg-stop) $DOCKER stop -t 30 "$(container postgres)" >/dev/null ;;
    pg-start) $DOCKER start "$(container postgres)" >/dev/null ;;
    sql) $DOCKER exec "$(container postgres)" psql -v ON_ERROR_STOP=1 -U specbind -d specbind -At -c "$1" ;;
    nginx-log) $DOCKER logs "$(container nginx)" 2>/dev/null ;;   # the access log (JSON lines) is its stdout
    nginx-errors) $DOCKER logs "$(container nginx)" 2>&1 >/dev/null ;;   # its error log is its stderr
    log) $DOCKER logs "$(container specbind "$1")" 2>&1 ;;   # replica $1's log lines (since its container was made)
    *) echo "stack-test: unknown ctl action $action" >&2; return 2 ;;
  esac
}

if [ "${1:-}" = ctl ]; then
  shift
  ctl "$@"
  exit
fi

# ---- the run ---------------------------------------------------------------------------------------------

[ "$(id -u)" = 0 ] || { echo "stack-test: needs root (dockerd, debootstrap)" >&2; exit 1; }
if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null || ! command -v docker-compose >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io docker-compose debootstrap >/dev/null
fi
[ -x node_modules/.bin/tsx ] || { echo "stack-test: no node_modules/.bin/tsx (npm ci first)" >&2; exit 1; }
export DOCKER_BUILDKIT=0 # the classic builder: it honours --network host with no BuildKit entitlement

work=$(mktemp -d /tmp/specbind-stack-test.XXXXXX)
# Everything (dockerd's layers included, ~2.5 GB) in memory: faster, and removed by one umount.
mount -t tmpfs -o size=8g,mode=0700 specbind-stack-test "$work" || echo "stack-test: no tmpfs, using the disk" >&2
export DOCKER_HOST="unix://$work/docker.sock"
export STACK_PROJECT="specbindstack$$"
compose=(docker-compose -p "$STACK_PROJECT" -f docker/compose.yaml -f docker/compose.stack-test.yaml --env-file "$work/stack.env")
dockerd_pid=
passed=0
step() { echo "stack-test: $* ($((SECONDS))s)"; }

source docker/private-docker.sh
cleanup() {
  set +e
  if [ -n "$dockerd_pid" ]; then
    if [ "$passed" != 1 ]; then
      for s in specbind:1 specbind:2 specbind:3 nginx:1 postgres:1; do
        c=$(container "${s%:*}" "${s#*:}" 2>/dev/null) || continue
        echo "--- $s log (tail) ---" >&2; $DOCKER logs "$c" 2>&1 | tail -n 15 >&2
      done
    fi
    "${compose[@]}" down -v -t 5 >/dev/null 2>&1
  fi
  remove_private_docker stack-test
}
trap cleanup EXIT

fail() {
  echo "stack-test: FAILED: $*" >&2
  [ -f "$work/dockerd.log" ] && { echo "--- dockerd log (tail) ---" >&2; tail -n 20 "$work/dockerd.log" >&2; }
  exit 1
}

# Compose makes a bridge network of its own from this pool (one not likely used on the host).
start_dockerd --default-address-pool base=10.213.0.0/16,size=24

# ---- images: one debootstrap bookworm base; Node on it for specbind; Debian's packages for the others
find_base_node
step "making the bookworm base (debootstrap) and $base on it"
rootfs="$work/rootfs"
debootstrap_bookworm "$rootfs"
import_rootfs "$rootfs" specbind-stack-test/bookworm:base '["bash"]'
make_base_image "$rootfs"
rm -rf "$rootfs"

image=specbind:stack-test
step "building $image (docker/Dockerfile)"
$DOCKER build --network host -f docker/Dockerfile -t "$image" . >"$work/build-specbind.log" 2>&1 ||
  { tail -n 40 "$work/build-specbind.log" >&2; fail "docker build (specbind)"; }
for s in nginx postgres; do
  step "building the $s stand-in (Debian's package)"
  $DOCKER build --network host -f "docker/stack-test/$s.Dockerfile" -t "specbind-stack-test/$s:debian" docker/stack-test \
    >"$work/build-$s.log" 2>&1 || { tail -n 40 "$work/build-$s.log" >&2; fail "docker build ($s)"; }
done
echo "stack-test: $($DOCKER run --rm --network none specbind-stack-test/nginx:debian nginx -v 2>&1);" \
  "$($DOCKER run --rm --network none --entrypoint postgres specbind-stack-test/postgres:debian --version)"

# ---- the stack -------------------------------------------------------------------------------------------
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
key=$(node -e "console.log('stack-' + require('crypto').randomBytes(12).toString('hex'))")
# HTTP_PORT fills compose.yaml's "${HTTP_PORT}:80": with an address, nginx is published on 127.0.0.1 only.
cat >"$work/stack.env" <<EOF
API_KEYS=$key
POSTGRES_PASSWORD=$(node -e "console.log(require('crypto').randomBytes(16).toString('hex'))")
HTTP_PORT=127.0.0.1:$port
SPECBIND_IMAGE=$image
EOF
step "docker-compose up (compose.yaml + compose.stack-test.yaml; nginx on 127.0.0.1:$port)"
"${compose[@]}" config -q || fail "docker-compose config"
"${compose[@]}" up -d --no-build >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; fail "docker-compose up"; }
url="http://127.0.0.1:$port"
status() { curl -s -o /dev/null -w '%{http_code}' "$@" || true; }
for _ in $(seq 1 100); do [ "$(status -H "X-API-Key: $key" "$url/health")" = 200 ] && break; sleep 0.3; done
[ "$(status -H "X-API-Key: $key" "$url/health")" = 200 ] || fail "GET /health through nginx did not answer 200"
$DOCKER ps --format '{{.Names}}  {{.Image}}  {{.Status}}' | sort | sed 's/^/  /'

step "load and checks (docker/stack-test/driver.ts)"
rc=0
STACK_URL=$url STACK_API_KEY=$key STACK_CTL="$PWD/docker/stack-test.sh" \
  node_modules/.bin/tsx docker/stack-test/driver.ts || rc=$?
[ "$rc" = 0 ] || fail "the driver reported failed checks (exit $rc)"
passed=1
echo "stack-test: passed (${SECONDS}s)"
