# Sourced by docker/image-test.sh and docker/stack-test.sh: the local stand-in for docker/Dockerfile's
# base image (node:<major>-bookworm-slim cannot be pulled here), made with debootstrap and the npm
# registry's Node. Expects $DOCKER (the client), $work (a scratch folder) and fail() from the caller.

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
