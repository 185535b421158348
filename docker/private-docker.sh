# Sourced by docker/image-test.sh and docker/stack-test.sh: a private dockerd in a scratch folder
# ($work, a tmpfs), removed with everything it made; and the local stand-in for docker/Dockerfile's
# base image (node:<major>-bookworm-slim cannot be pulled here), made with debootstrap and the npm
# registry's Node. Expects $DOCKER (the client), $DOCKER_HOST (a socket in $work), $work, and
# step() and fail() from the caller.

# start_dockerd [DOCKERD_ARGS...]: no default bridge and no iptables (it must not touch the host's
# network); sets $dockerd_pid, returns once it answers.
start_dockerd() {
  step "starting dockerd"
  dockerd --bridge=none --iptables=false --ip6tables=false "$@" \
    --data-root "$work/root" --exec-root "$work/exec" --pidfile "$work/docker.pid" \
    -H "$DOCKER_HOST" >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 100); do $DOCKER version >/dev/null 2>&1 && break; sleep 0.2; done
  $DOCKER version >/dev/null 2>&1 || fail "dockerd did not start"
}

# remove_private_docker NAME: stops dockerd (if started) and removes $work, mounts included.
remove_private_docker() {
  if [ -n "${dockerd_pid:-}" ]; then
    echo "$1: stopping dockerd ($((SECONDS))s)"
    kill "$dockerd_pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.2; done
  fi
  # dockerd leaves mounts behind (network namespaces; overlays if it died hard): unmount first.
  grep -o "$work/[^ ]*" /proc/mounts 2>/dev/null | sort -r | xargs -r -n1 umount -l 2>/dev/null
  if mountpoint -q "$work"; then umount -l "$work"; fi
  rm -rf "$work"
  echo "$1: cleaned up ($((SECONDS))s)"
}

# Sets $base (the Dockerfile's FROM tag) and $node_bin (a folder holding that Node major's binary).
find_base_node() {
  base=$(awk 'toupper($1) == "FROM" { print $2; exit }' docker/Dockerfile)
  # The Node of the Dockerfile's FROM tag (node:24-bookworm-slim: 24), from the npm registry.
  local major
  major=$(echo "$base" | sed -n 's/^node:\([0-9][0-9]*\)-.*/\1/p')
  [ -n "$major" ] || fail "cannot tell the Node version of the base image $base"
  node_bin=$(bash scripts/node-version.sh "$major") || fail "cannot install Node $major (scripts/node-version.sh)"
}

# debootstrap_bookworm ROOTFS: a minimal Debian bookworm, apt's downloads and lists removed.
debootstrap_bookworm() {
  debootstrap --variant=minbase bookworm "$1" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 ||
    { tail -n 20 "$work/debootstrap.log" >&2; fail "debootstrap"; }
  rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*
}

# add_node ROOTFS: as the official image has it: Node in /usr/local, npm (this machine's), this
# machine's CA bundle (so that npm inside a build trusts what npm outside trusts), user node 1000:1000.
add_node() {
  local rootfs=$1
  install -D -m 0755 "$node_bin/node" "$rootfs/usr/local/bin/node"
  mkdir -p "$rootfs/usr/local/lib/node_modules"
  cp -a "$(npm root -g 2>/dev/null)/npm" "$rootfs/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
  chroot "$rootfs" sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
}

# import_rootfs ROOTFS TAG CMD [--change ...]: the folder as an image.
import_rootfs() {
  local rootfs=$1 tag=$2 cmd=$3
  shift 3
  tar -C "$rootfs" -c . | $DOCKER import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' "$@" \
    --change "CMD $cmd" - "$tag" >/dev/null || fail "docker import ($tag)"
}

# make_base_image ROOTFS: debootstrap, Node, imported as $base; checks that it runs that Node.
make_base_image() {
  local rootfs=$1
  [ -d "$rootfs" ] || debootstrap_bookworm "$rootfs"
  add_node "$rootfs"
  import_rootfs "$rootfs" "$base" '["node"]' --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'
  local image_node
  image_node=$($DOCKER run --rm --network none "$base" node --version) || fail "the base image cannot run node"
  [ "$image_node" = "$("$node_bin/node" --version)" ] || fail "the base image runs node $image_node, not $("$node_bin/node" --version)"
}
