#!/usr/bin/env bash
# Builds PocketBase, the peer Hearth's API and memory figures are measured
# beside, from the Go module proxy into a directory outside the repository,
# and prints the binary's path. Its code never enters the repository.
#
#   scripts/pocketbase.sh            # builds once, then reuses the binary
#   PB_VERSION=v0.39.5 PB_DIR=/tmp/pocketbase scripts/pocketbase.sh
set -euo pipefail

version=${PB_VERSION:-v0.39.5}
dir=${PB_DIR:-${TMPDIR:-/tmp}/hearth-peer-pocketbase-$version}
bin=$dir/bin/base

if [[ ! -x $bin ]]; then
	mkdir -p "$dir"
	# Outside any module, so go install builds PocketBase's own example
	# server with PocketBase's own go.mod.
	(cd "$dir" && GOBIN=$dir/bin GOFLAGS=-mod=mod go install "github.com/pocketbase/pocketbase/examples/base@$version") >&2
fi
echo "$bin"
