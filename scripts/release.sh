#!/usr/bin/env bash
# Release builds for the machines munjigi runs on: static (no cgo),
# trimmed and stripped, one binary each, and their sizes.
#
#   scripts/release.sh [DIR]     (default dist/)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}
mkdir -p "$out"
for target in amd64: arm:6 arm:7 arm64: 386:; do
	arch=${target%%:*} armv=${target#*:}
	name=munjigi-linux-$arch${armv:+v$armv}
	GOOS=linux GOARCH=$arch GOARM=$armv CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$out/$name" .
	printf '%-24s %5.1f MiB\n' "$name" "$(awk -v b="$(stat -c %s "$out/$name")" 'BEGIN { print b / 1048576 }')"
done
