// Package deploy is how munjigi gets onto a Raspberry Pi at a venue door:
// the systemd unit that puts the kiosk on tty1 (munjigi.service), the
// fbterm drop-in for the Korean screen, and the Debian package that
// scripts/release.sh builds from them with nfpm (nfpm.yaml, and the
// maintainer scripts in debian/).
//
// The Go code here is small: the mapping from a git tag to a Debian
// version (the release script runs it through ./deploy/debversion). The
// tests are the point: they check the unit with systemd-analyze, read the
// four packages with dpkg-deb, and install, upgrade, remove and purge the
// amd64 one on the machine they run on (as root, in CI).
package deploy
