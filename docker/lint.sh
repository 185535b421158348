#!/usr/bin/env bash
# Checks docker/ with no Docker engine (CI runs it; so can anyone: bash docker/lint.sh):
#   - docker/nginx.conf passes `nginx -t` (Debian's nginx; the replicas' name replaced by an address,
#     since nothing resolves `specbind` outside compose),
#   - docker/Dockerfile has what issue 7 asks of it (multi-stage, production dependencies only,
#     non-root, HEALTHCHECK on /healthz, STOPSIGNAL SIGTERM, node run directly),
#   - every package that src/ and handlers/ load at run time is in package.json "dependencies", since
#     the image installs no devDependency.
# docker-compose's own check of compose.yaml is in .ci/run beside this.
set -euo pipefail
cd "$(dirname "$0")/.."
failures=0
fail() { echo "docker/lint: $*" >&2; failures=$((failures + 1)); }

# --- nginx.conf ---
if command -v nginx >/dev/null; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  sed 's/server specbind:3000 /server 127.0.0.1:3000 /' docker/nginx.conf >"$tmp/default.conf"
  [ "$(grep -c 'server 127.0.0.1:3000 ' "$tmp/default.conf")" = 1 ] || fail "nginx.conf: expected one 'server specbind:3000' line"
  # The official image's nginx.conf, reduced: this file is included inside its http {} block.
  cat >"$tmp/nginx.conf" <<EOF
pid $tmp/nginx.pid;
error_log stderr;
events {}
http {
    include /etc/nginx/mime.types;
    include $tmp/default.conf;
}
EOF
  nginx -q -t -p "$tmp" -c "$tmp/nginx.conf" || fail "nginx -t rejects docker/nginx.conf"
else
  echo "docker/lint: nginx not installed, nginx.conf not checked (apt-get install nginx-light)" >&2
fi

# --- Dockerfile ---
df=docker/Dockerfile
# The runtime stage: from the last FROM to the end.
runtime=$(awk 'toupper($1) == "FROM" { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$df")
need() { grep -Eq "$2" <<<"$3" || fail "Dockerfile: $1"; }
[ "$(grep -Eci '^FROM ' "$df")" -ge 2 ] || fail "Dockerfile: not multi-stage"
# Base images: FROM arguments that are not an earlier stage's name.
bases=$(awk 'toupper($1) == "FROM" { if (!($2 in stage)) print $2; if (toupper($3) == "AS") stage[$4] = 1 }' "$df" | sort -u)
[ "$(wc -l <<<"$bases")" = 1 ] ||
  fail "Dockerfile: every stage should start from one base image (docker/image-test.sh makes exactly one)"
need "no production-only install (npm ci --omit=dev)" 'npm ci[^&]*--omit=dev' "$(cat "$df")"
need "the runtime stage does not copy the production node_modules" '^COPY --from=[a-z]+ /app/node_modules' "$runtime"
need "the runtime stage does not copy dist/" '^COPY --from=[a-z]+ /app/dist' "$runtime"
need "the runtime stage does not copy the document (openapi/)" '^COPY .*openapi' "$runtime"
need "the runtime stage sets no non-root USER" '^USER +[1-9][0-9]*' "$runtime"
need "no HEALTHCHECK on /healthz" '^HEALTHCHECK .*' "$runtime"
grep -Eq '/healthz' <<<"$(sed -n '/^HEALTHCHECK/,/^[A-Z]/p' "$df")" || fail "Dockerfile: HEALTHCHECK does not probe /healthz"
need "no STOPSIGNAL SIGTERM" '^STOPSIGNAL +SIGTERM' "$runtime"
need "NODE_ENV=production not set" '^ENV .*NODE_ENV=production' "$runtime"
need "HOST=0.0.0.0 not set (the server would listen on the container's loopback only)" '^ENV .*HOST=0\.0\.0\.0' "$runtime"
need "no EXPOSE 3000" '^EXPOSE +3000' "$runtime"
need "CMD does not run node directly (exec form; npm would not pass SIGTERM on)" '^CMD \["node", "dist/src/cli.js", "serve"' "$runtime"
grep -Eq '^(RUN|CMD|ENTRYPOINT).*\bcurl\b' <<<"$runtime" && fail "Dockerfile: the slim runtime has no curl"
for ignored in node_modules dist .git .env; do
  grep -qx "$ignored" .dockerignore || fail ".dockerignore does not exclude $ignored"
done

# --- run-time dependencies ---
node - <<'EOF' || fail "a module loaded at run time is not in package.json dependencies (see above)"
// Every bare module name that src/ and handlers/ import or require, except type-only imports and
// node's built-ins, must be a "dependency": `npm ci --omit=dev` (the image) installs nothing else.
const fs = require('node:fs');
const path = require('node:path');
const { builtinModules } = require('node:module');
const pkg = require(path.resolve('package.json'));
const deps = new Set(Object.keys(pkg.dependencies || {}));
// Loaded inside try/catch, with a fallback when absent (pino-pretty: the CLI prints JSON without it),
// and the optional peer dependencies (@opentelemetry/api: the application's, when it traces).
const optionalPeers = Object.entries(pkg.peerDependenciesMeta || {}).filter(([, meta]) => meta.optional).map(([name]) => name);
const optional = new Set(['pino-pretty', ...optionalPeers]);
const files = [];
const walk = (dir) => {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(file);
    else if (/\.(ts|js|cjs|mjs)$/.test(entry.name) && !/\.d\.ts$/.test(entry.name)) files.push(file);
  }
};
['src', 'handlers'].forEach((dir) => fs.existsSync(dir) && walk(dir));
const bad = [];
for (const file of files) {
  const text = fs.readFileSync(file, 'utf8');
  const patterns = [
    /^\s*import\s+(?!type\s)[^;]*?\bfrom\s+['"]([^'"]+)['"]/gm,  // import x from 'y' (not `import type`)
    /^\s*import\s+['"]([^'"]+)['"]/gm,                            // import 'y'
    /^\s*export\s+(?!type\s)[^;]*?\bfrom\s+['"]([^'"]+)['"]/gm,  // export ... from 'y'
    /\brequire(?:\.resolve)?\(\s*['"]([^'"]+)['"]\s*\)/g,        // require('y'), require.resolve('y')
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,                      // import('y')
  ];
  for (const re of patterns) {
    for (const m of text.matchAll(re)) {
      const spec = m[1];
      if (spec.startsWith('.') || spec.startsWith('/') || spec.includes('${')) continue;
      if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0])) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (deps.has(name) || optional.has(name)) continue;
      const where = pkg.devDependencies && pkg.devDependencies[name] ? 'a devDependency' : 'not in package.json';
      bad.push(`${file}: loads '${spec}', ${where}`);
    }
  }
}
for (const line of [...new Set(bad)]) console.error(`docker/lint: ${line}`);
process.exit(bad.length ? 1 : 0);
EOF

if [ "$failures" -gt 0 ]; then echo "docker/lint: $failures problem(s)" >&2; exit 1; fi
echo "docker/lint: nginx.conf, Dockerfile and run-time dependencies OK"
