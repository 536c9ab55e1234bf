package deploy

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// distEnv names a folder of release builds (scripts/release.sh DIR) for
// the package tests to read instead of building their own: .ci/run points
// it at what its release step built.
const distEnv = "MUNJIGI_DIST"

var (
	distOnce sync.Once
	distDir  string
	distErr  error
	builtDir string // made here: removed after the tests
)

func TestMain(m *testing.M) {
	code := m.Run()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	os.Exit(code)
}

// dist is the folder of release builds: MUNJIGI_DIST, or one that
// scripts/release.sh builds here once for all the tests (five binaries and
// four packages: minutes on a small machine).
func dist(t *testing.T) string {
	t.Helper()
	if d := os.Getenv(distEnv); d != "" {
		return d
	}
	if testing.Short() {
		t.Skipf("-short: no %s, and building every release takes minutes", distEnv)
	}
	distOnce.Do(func() {
		builtDir, distErr = os.MkdirTemp("", "munjigi-dist-")
		if distErr == nil {
			distDir, distErr = builtDir, release(builtDir, nil)
		}
	})
	if distErr != nil {
		t.Fatal(distErr)
	}
	return distDir
}

// release runs scripts/release.sh into dir, with extra environment and
// targets.
func release(dir string, env []string, targets ...string) error {
	cmd := exec.Command("../scripts/release.sh", append([]string{dir}, targets...)...)
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("scripts/release.sh: %w\n%s", err, out)
	}
	return nil
}

// debFor is the one package for a Debian architecture in dir.
func debFor(t *testing.T, dir, arch string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "munjigi_*_"+arch+".deb"))
	if len(m) != 1 {
		t.Fatalf("%d packages for %s in %s, want 1: %v", len(m), arch, dir, m)
	}
	return m[0]
}

// run runs a command and returns its output; a failure ends the test.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// fields reads "Key: value" lines (dpkg-deb -f, dpkg -s).
func fields(text string) map[string]string {
	f := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(line, " ") {
			f[k] = v
		}
	}
	return f
}

var arches = []struct {
	deb     string
	class   elf.Class
	machine elf.Machine
	goarch  string
	goarm   string
}{
	{"amd64", elf.ELFCLASS64, elf.EM_X86_64, "amd64", ""},
	// One package for every Pi on 32-bit Raspberry Pi OS: the ARMv6 build.
	{"armhf", elf.ELFCLASS32, elf.EM_ARM, "arm", "6"},
	{"arm64", elf.ELFCLASS64, elf.EM_AARCH64, "arm64", ""},
	{"i386", elf.ELFCLASS32, elf.EM_386, "386", ""},
}

// TestPackages reads each architecture's package as dpkg sees it: its
// fields, its files and their modes, its conffile, its maintainer scripts,
// and the binary in it (the right machine, static, stripped, stamped with
// the package's version).
func TestPackages(t *testing.T) {
	needTool(t, "dpkg-deb", "dpkg")
	dir := dist(t)
	var version string
	for _, a := range arches {
		t.Run(a.deb, func(t *testing.T) {
			deb := debFor(t, dir, a.deb)
			f := fields(run(t, "dpkg-deb", "-f", deb, "Package", "Version", "Architecture", "Depends", "Maintainer", "Suggests"))
			inName := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(deb), "munjigi_"), "_"+a.deb+".deb")
			if f["Package"] != "munjigi" || f["Architecture"] != a.deb || f["Version"] != inName || f["Depends"] != "passwd" || f["Maintainer"] == "" {
				t.Errorf("fields %q (file %s)", f, filepath.Base(deb))
			}
			if version == "" {
				version = f["Version"]
			} else if f["Version"] != version {
				t.Errorf("version %s, the others %s", f["Version"], version)
			}

			// The files, their modes and owners; directories aside.
			files := map[string]string{}
			for _, line := range strings.Split(run(t, "dpkg-deb", "-c", deb), "\n") {
				w := strings.Fields(line)
				if len(w) >= 6 && !strings.HasPrefix(w[0], "d") {
					files[w[len(w)-1]] = w[0] + " " + w[1]
				}
			}
			want := map[string]string{
				"./usr/bin/munjigi":                    "-rwxr-xr-x root/root",
				"./lib/systemd/system/munjigi.service": "-rw-r--r-- root/root",
				"./etc/munjigi/config.yaml":            "-rw-r----- root/root", // the postinst gives it to group munjigi
				"./usr/share/munjigi/fbterm.conf":      "-rw-r--r-- root/root",
			}
			if fmt.Sprint(files) != fmt.Sprint(want) {
				t.Errorf("files:\n%v\nwant:\n%v", files, want)
			}
			if got := run(t, "dpkg-deb", "-I", deb, "conffiles"); got != "/etc/munjigi/config.yaml\n" {
				t.Errorf("conffiles %q", got)
			}

			root := t.TempDir()
			run(t, "dpkg-deb", "-x", deb, root)
			ctrl := t.TempDir()
			run(t, "dpkg-deb", "-e", deb, ctrl)
			for got, src := range map[string]string{
				filepath.Join(root, "lib/systemd/system/munjigi.service"): "munjigi.service",
				filepath.Join(root, "usr/share/munjigi/fbterm.conf"):      "munjigi-fbterm.conf",
				filepath.Join(root, "etc/munjigi/config.yaml"):            "../config.yaml",
				filepath.Join(ctrl, "postinst"):                           "debian/postinst",
				filepath.Join(ctrl, "prerm"):                              "debian/prerm",
				filepath.Join(ctrl, "postrm"):                             "debian/postrm",
			} {
				if readFile(t, got) != readFile(t, src) {
					t.Errorf("%s is not %s", got, src)
				}
			}
			for _, s := range []string{"postinst", "prerm", "postrm"} {
				if fi, err := os.Stat(filepath.Join(ctrl, s)); err != nil || fi.Mode()&0o111 == 0 {
					t.Errorf("%s is not executable: %v", s, err)
				}
			}
			checkBinary(t, filepath.Join(root, "usr/bin/munjigi"), a.class, a.machine, a.goarch, a.goarm, version)
		})
	}
}

// checkBinary reads an ELF binary's header and the Go build information
// in it.
func checkBinary(t *testing.T, path string, class elf.Class, machine elf.Machine, goarch, goarm, version string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Class != class || f.Machine != machine || f.OSABI != elf.ELFOSABI_NONE || f.Type != elf.ET_EXEC {
		t.Errorf("ELF %v %v %v %v, want %v %v", f.Class, f.Machine, f.OSABI, f.Type, class, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary is dynamically linked (it has an interpreter)")
		}
	}
	if f.Section(".symtab") != nil {
		t.Error("the binary is not stripped")
	}
	if machine == elf.EM_ARM {
		// e_flags, at byte 36 of an ELF32 header: the ARM EABI version
		// in the top byte. Version 5 is what Linux on a Pi runs.
		raw := make([]byte, 40)
		if r, err := os.Open(path); err == nil {
			r.ReadAt(raw, 0)
			r.Close()
		}
		if flags := binary.LittleEndian.Uint32(raw[36:]); flags&0xff000000 != 0x05000000 {
			t.Errorf("ARM e_flags %#x: not EABI version 5", flags)
		}
	}
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]string{}
	for _, s := range bi.Settings {
		set[s.Key] = s.Value
	}
	if set["GOOS"] != "linux" || set["GOARCH"] != goarch || set["GOARM"] != goarm || set["CGO_ENABLED"] != "0" || set["-trimpath"] != "true" {
		t.Errorf("built with %v", set)
	}
	// -trimpath keeps -ldflags out of the build information: the version
	// stamped is looked for in the binary itself ('munjigi version' says
	// it in TestInstall).
	if data, err := os.ReadFile(path); err != nil || !bytes.Contains(data, []byte(version)) {
		t.Errorf("the binary is not stamped with %s (%v)", version, err)
	}
}

// needRoot: the install test changes the machine (a package, a user), so
// it runs as root with dpkg, on a machine without munjigi: never on a Pi
// that is somebody's door.
func needRoot(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: installs, upgrades and purges a package (the full run does)")
	}
	fail := t.Skipf
	if os.Getenv("CI") == "true" {
		fail = t.Fatalf
	}
	if os.Geteuid() != 0 {
		fail("installing a package needs root")
	}
	for _, tool := range []string{"dpkg", "dpkg-deb", "dpkg-statoverride", "runuser", "getent"} {
		if _, err := exec.LookPath(tool); err != nil {
			fail("%s is not here: not a Debian machine", tool)
		}
	}
	if exec.Command("dpkg", "-s", "munjigi").Run() == nil || exec.Command("getent", "passwd", "munjigi").Run() == nil ||
		exec.Command("getent", "group", "munjigi").Run() == nil || exists("/var/lib/munjigi") || exists("/etc/munjigi") {
		fail("munjigi is on this machine already (the package, its user or its folders): the test would replace and purge it")
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// owner is a file's mode, owner and group, as "0640 root munjigi".
func owner(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	name := func(db string, id uint32) string {
		out, err := exec.Command("getent", db, strconv.Itoa(int(id))).Output()
		if err != nil {
			return strconv.Itoa(int(id))
		}
		return strings.SplitN(string(out), ":", 2)[0]
	}
	return fmt.Sprintf("%04o %s %s", fi.Mode().Perm(), name("passwd", st.Uid), name("group", st.Gid))
}

// TestInstall installs the amd64 package on this machine as a Pi owner
// would, and checks what the maintainer scripts did: the user, its data
// folder, the configuration's owner; then the venue's settings and data
// through a reinstall and an upgrade, a remove that keeps them, and a
// purge that leaves the machine as it was. The machine is purged at the
// end, pass or fail.
func TestInstall(t *testing.T) {
	needRoot(t)
	dir := dist(t)
	v1deb := debFor(t, dir, "amd64")
	v1 := strings.TrimSpace(run(t, "dpkg-deb", "-f", v1deb, "Version")) // one field: its value alone
	t.Cleanup(func() { purgeAll(t) })

	run(t, "dpkg", "-i", v1deb)
	status := func(version string) {
		t.Helper()
		f := fields(run(t, "dpkg", "-s", "munjigi"))
		if f["Status"] != "install ok installed" || f["Architecture"] != "amd64" || f["Version"] != version || f["Depends"] != "passwd" {
			t.Errorf("dpkg -s: %q, want version %s", f, version)
		}
		if got := strings.Fields(run(t, "/usr/bin/munjigi", "version")); !contains(got, version) {
			t.Errorf("munjigi version says %q, the package %s", got, version)
		}
	}
	status(v1)

	// The user: a system account, no login, no home of its own beyond the
	// data folder, in the groups for scanners and the console.
	pw := strings.Split(strings.TrimSpace(run(t, "getent", "passwd", "munjigi")), ":")
	uid, _ := strconv.Atoi(pw[2])
	if uid <= 0 || uid >= 1000 || pw[5] != "/var/lib/munjigi" || pw[6] != "/usr/sbin/nologin" {
		t.Errorf("the user: %q", pw)
	}
	if groups := strings.Fields(run(t, "id", "-nG", "munjigi")); !contains(groups, "munjigi") || !contains(groups, "dialout") || !contains(groups, "tty") {
		t.Errorf("the user's groups: %v", groups)
	}
	if got := owner(t, "/var/lib/munjigi"); got != "0700 munjigi munjigi" {
		t.Errorf("/var/lib/munjigi: %s", got)
	}
	// The configuration may hold a credential and staff PINs.
	if got := owner(t, "/etc/munjigi/config.yaml"); got != "0640 root munjigi" {
		t.Errorf("/etc/munjigi/config.yaml: %s", got)
	}

	// README's checks: the shipped configuration is sound, and the kiosk's
	// user can read it.
	run(t, "/usr/bin/munjigi", "config", "check", "--config", "/etc/munjigi/config.yaml")
	run(t, "runuser", "-u", "munjigi", "--", "/usr/bin/munjigi", "config", "check", "--config", "/etc/munjigi/config.yaml")
	// The installed unit, with the installed binary, as systemd reads it.
	if _, err := exec.LookPath("systemd-analyze"); err == nil {
		if out, err := exec.Command("systemd-analyze", "verify", "/lib/systemd/system/munjigi.service").CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
	} else if os.Getenv("CI") == "true" {
		t.Error("systemd-analyze is not installed: the installed unit is not checked (.ci/run installs systemd)")
	}

	// The venue at work: the kiosk, as its user in its folder (as the unit
	// runs it), records an entry.
	run(t, "runuser", "-u", "munjigi", "--", "sh", "-c", "cd /var/lib/munjigi && /usr/bin/munjigi demo passes | head -n 1 | /usr/bin/munjigi run --headless --demo")
	if got := owner(t, "/var/lib/munjigi/munjigi.db"); got != "0600 munjigi munjigi" {
		t.Errorf("the entry log: %s", got)
	}
	db := readFile(t, "/var/lib/munjigi/munjigi.db")
	// The venue's own settings.
	config := strings.Replace(readFile(t, "/etc/munjigi/config.yaml"), "  name: \"\"\n", "  name: \"문지기 분식\"\n", 1)
	if err := os.WriteFile("/etc/munjigi/config.yaml", []byte(config), 0o640); err != nil {
		t.Fatal(err)
	}
	kept := func(when string) {
		t.Helper()
		if readFile(t, "/etc/munjigi/config.yaml") != config {
			t.Errorf("%s: the venue's settings were replaced", when)
		}
		if got := owner(t, "/etc/munjigi/config.yaml"); got != "0640 root munjigi" {
			t.Errorf("%s: /etc/munjigi/config.yaml: %s", when, got)
		}
		if readFile(t, "/var/lib/munjigi/munjigi.db") != db {
			t.Errorf("%s: the entry log changed", when)
		}
		if pw2 := strings.Split(strings.TrimSpace(run(t, "getent", "passwd", "munjigi")), ":"); pw2[2] != pw[2] {
			t.Errorf("%s: the user's id changed from %s to %s", when, pw[2], pw2[2])
		}
	}
	if out := run(t, "/usr/bin/munjigi", "config", "check", "--config", "/etc/munjigi/config.yaml"); !strings.Contains(out, "문지기 분식") {
		t.Errorf("the edited settings are not read:\n%s", out)
	}

	run(t, "dpkg", "-i", v1deb)
	status(v1)
	kept("a reinstall")

	// An upgrade: the same build under a higher version.
	v2 := v1 + "+1"
	dir2 := t.TempDir()
	if err := release(dir2, []string{"VERSION=" + v2}, "amd64"); err != nil {
		t.Fatal(err)
	}
	if exec.Command("dpkg", "--compare-versions", v2, "gt", v1).Run() != nil {
		t.Fatalf("%s does not upgrade %s", v2, v1)
	}
	run(t, "dpkg", "-i", debFor(t, dir2, "amd64"))
	status(v2)
	kept("an upgrade")

	// Remove: the program goes, the venue's settings and data stay.
	run(t, "dpkg", "-r", "munjigi")
	if f := fields(run(t, "dpkg", "-s", "munjigi")); f["Status"] != "deinstall ok config-files" {
		t.Errorf("after remove: %q", f["Status"])
	}
	for _, gone := range []string{"/usr/bin/munjigi", "/lib/systemd/system/munjigi.service", "/usr/share/munjigi"} {
		if exists(gone) {
			t.Errorf("after remove: %s is still there", gone)
		}
	}
	kept("a remove")

	// Purge: nothing of munjigi is left.
	run(t, "dpkg", "-P", "munjigi")
	if exec.Command("dpkg", "-s", "munjigi").Run() == nil {
		t.Error("after purge dpkg still knows munjigi")
	}
	for _, gone := range []string{"/var/lib/munjigi", "/etc/munjigi"} {
		if exists(gone) {
			t.Errorf("after purge: %s is still there", gone)
		}
	}
	for _, db := range []string{"passwd", "group"} {
		if exec.Command("getent", db, "munjigi").Run() == nil {
			t.Errorf("after purge: the %s entry munjigi is still there", db)
		}
	}
	if strings.Contains(run(t, "dpkg-statoverride", "--list"), "munjigi") {
		t.Error("after purge: a statoverride for munjigi is still there")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// purgeAll leaves the machine as it was before TestInstall (which made
// sure munjigi was not on it): dpkg's purge, and by hand whatever a failed
// purge left.
func purgeAll(t *testing.T) {
	if out, err := exec.Command("dpkg", "--purge", "munjigi").CombinedOutput(); err != nil {
		t.Logf("dpkg --purge: %v\n%s", err, out)
		exec.Command("dpkg", "--purge", "--force-all", "munjigi").Run()
	}
	exec.Command("dpkg-statoverride", "--remove", "/etc/munjigi/config.yaml").Run()
	exec.Command("userdel", "munjigi").Run()
	exec.Command("groupdel", "munjigi").Run()
	os.RemoveAll("/var/lib/munjigi")
	os.RemoveAll("/etc/munjigi")
}
