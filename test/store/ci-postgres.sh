# A throwaway PostgreSQL cluster for the store tests (test/store/). Source it, then:
#   start_ci_postgres   installs Debian's postgresql when no pg_ctl is under /usr/lib/postgresql/*/bin,
#                       creates a cluster in a temp dir (as the `postgres` user when run as root),
#                       trust auth on 127.0.0.1 only, starts it on a free port and exports
#                       TEST_DATABASE_URL=postgres://postgres@127.0.0.1:PORT/postgres, and TEST_PG_BIN
#                       (the directory of initdb/pg_ctl: db-outage.test.ts makes a cluster of its own
#                       with them, to stop and restart without disturbing the suites sharing this one)
#   stop_ci_postgres    stops it and removes the temp dir (safe to call twice, or before a start)
# .ci/run uses it; by hand: `source test/store/ci-postgres.sh && start_ci_postgres && npx jest test/store`.
# TEST_DATABASE_URL rather than DATABASE_URL, so that only the store suite uses it: every other
# server in CI keeps its own store.

CI_PG_BIN=""
CI_PG_DIR=""

_ci_pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true; }

_ci_pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_ci_postgres() {
  CI_PG_BIN="$(_ci_pg_bin)"
  if [ -z "$CI_PG_BIN" ] || [ ! -x "$CI_PG_BIN/pg_ctl" ]; then
    echo "ci-postgres: installing Debian's postgresql"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    CI_PG_BIN="$(_ci_pg_bin)"
  fi
  CI_PG_DIR="$(mktemp -d /tmp/specbind-pg.XXXXXX)"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$CI_PG_DIR"; fi
  local port
  port="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
  # trust is for this throwaway cluster only: it listens on 127.0.0.1 and a socket in its own dir.
  _ci_pg_as_owner "$CI_PG_BIN/initdb" -D "$CI_PG_DIR/data" -U postgres -A trust -E UTF8 --no-sync >"$CI_PG_DIR/initdb.log"
  _ci_pg_as_owner "$CI_PG_BIN/pg_ctl" -D "$CI_PG_DIR/data" -l "$CI_PG_DIR/server.log" -w -t 60 \
    -o "-p $port -h 127.0.0.1 -k $CI_PG_DIR -c max_connections=200" start >/dev/null
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  export TEST_PG_BIN="$CI_PG_BIN"
  echo "ci-postgres: $("$CI_PG_BIN/postgres" --version) at $TEST_DATABASE_URL (data in $CI_PG_DIR)"
}

stop_ci_postgres() {
  if [ -n "$CI_PG_DIR" ] && [ -d "$CI_PG_DIR/data" ]; then
    _ci_pg_as_owner "$CI_PG_BIN/pg_ctl" -D "$CI_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  if [ -n "$CI_PG_DIR" ]; then rm -rf "$CI_PG_DIR"; fi
  CI_PG_DIR=""
}
