#!/usr/bin/env bash
# Release builds for the machines munjigi runs on: static (no cgo),
# trimmed and stripped, one binary each, and a Debian package for each
# architecture Debian names (armhf holds the armv6 build, so one package
# serves every Pi on 32-bit Raspberry Pi OS), with their sizes.
#
#   scripts/release.sh [DIR [TARGET...]]   (default dist/, every target)
#
# TARGETs: amd64 armv6 armv7 arm64 386. Packages: munjigi_VERSION_ARCH.deb
# for amd64, armhf, arm64 and i386, built with nfpm (deploy/nfpm.yaml)
# through 'go run', so the kiosk's go.mod does not carry nfpm.
#
# The version, stamped into the binaries ('munjigi version') and the
# packages alike, comes from git describe --tags --always --dirty, or from
# VERSION (read as a tag is). A Debian version starts with a digit: tag
# v1.2.3 gives 1.2.3, v1.2.3-rc.1 gives 1.2.3~rc.1, three commits after it
# 1.2.3+3.gabc1234, and a tree with no tag 0.0.0~git<commit time>.<commit>
# (deploy/version.go). MAINTAINER sets the packages' Maintainer field.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}
targets=("${@:2}")
[ ${#targets[@]} -gt 0 ] || targets=(amd64 armv6 armv7 arm64 386)
nfpm_module=github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2

version=$(go run ./deploy/debversion)
export MAINTAINER=${MAINTAINER:-munjigi maintainers <maintainers@munjigi.invalid>}
echo "version $version"
mkdir -p "$out"
size() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%5.1f MiB", b / 1048576 }'; }
for target in "${targets[@]}"; do
	armv='' deb=''
	case $target in
	amd64) arch=amd64 deb=amd64 ;;
	armv6) arch=arm armv=6 deb=armhf ;;
	armv7) arch=arm armv=7 ;;
	arm64) arch=arm64 deb=arm64 ;;
	386) arch=386 deb=i386 ;;
	*) echo "release.sh: unknown target $target (amd64 armv6 armv7 arm64 386)" >&2; exit 2 ;;
	esac
	name=munjigi-linux-$target
	GOOS=linux GOARCH=$arch GOARM=$armv CGO_ENABLED=0 go build -trimpath \
		-ldflags="-s -w -X munjigi/internal/version.Version=$version" -o "$out/$name" .
	printf '%-34s %s\n' "$name" "$(size "$out/$name")"
	if [ -n "$deb" ]; then
		pkg=$out/munjigi_${version}_$deb.deb
		DEB_ARCH=$deb DEB_VERSION=$version BINARY=$out/$name \
			go run "$nfpm_module" package --config deploy/nfpm.yaml --packager deb --target "$pkg" >/dev/null
		printf '%-34s %s\n' "${pkg##*/}" "$(size "$pkg")"
	fi
done
