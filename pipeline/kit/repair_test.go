package kit

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/base64"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// elfHarvest is fakeHarvest with compiled files, built by this machine's C compiler:
// greet/libhelper.so needs libouter.so.1 (which needs libinner.so.2, both in the
// root's library directory, reached through links as Debian installs them) and libm
// (a library the manylinux policy allows); greet/libplain.so needs only libc.
func elfHarvest(t *testing.T) (root string, files map[string][]byte) {
	t.Helper()
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler on this machine: cc makes the ELF files the wheel-repair tests read")
	}
	if _, err := exec.LookPath("patchelf"); err != nil {
		t.Skip("no patchelf: apt-get install patchelf to include the wheel-repair tests")
	}
	root = fakeHarvest(t)
	src := t.TempDir()
	libdir := filepath.Join(root, "usr/lib/x86_64-linux-gnu")
	pkgdir := filepath.Join(root, distPackages, "greet")
	if err := os.MkdirAll(libdir, 0o755); err != nil {
		t.Fatal(err)
	}
	build := func(out, code string, args ...string) {
		t.Helper()
		c := filepath.Join(src, filepath.Base(out)+".c")
		if err := os.WriteFile(c, []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
		// --no-as-needed: every library named is needed, libc too.
		cmd := exec.Command(cc, append([]string{"-shared", "-fPIC", "-Wl,--no-as-needed", "-o", out, c}, args...)...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("cc: %v\n%s", err, b)
		}
	}
	build(filepath.Join(libdir, "libinner.so.2.0.1"), "int inner(void) { return 40; }\n", "-Wl,-soname,libinner.so.2")
	build(filepath.Join(libdir, "libouter.so.1.4.0"), "int inner(void);\nint outer(void) { return inner() + 2; }\n",
		"-Wl,-soname,libouter.so.1", "-L"+src, "-Wl,-rpath,/usr/lib/x86_64-linux-gnu/private", filepath.Join(libdir, "libinner.so.2.0.1"))
	for link, target := range map[string]string{"libinner.so.2": "libinner.so.2.0.1", "libouter.so.1": "libouter.so.1.4.0"} {
		if err := os.Symlink(target, filepath.Join(libdir, link)); err != nil {
			t.Fatal(err)
		}
	}
	build(filepath.Join(pkgdir, "libhelper.so"), "#include <math.h>\nint outer(void);\nint answer(void) { return outer() + (int)floor(0.5); }\n",
		filepath.Join(libdir, "libouter.so.1.4.0"), "-lm")
	build(filepath.Join(pkgdir, "libplain.so"), "int plain(void) { return 7; }\n")
	list := filepath.Join(root, "var/lib/dpkg/info/python3-greet.list")
	f, err := os.OpenFile(list, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("/" + distPackages + "/greet/libhelper.so\n/" + distPackages + "/greet/libplain.so\n")
	f.Close()
	files = map[string][]byte{}
	for _, p := range []string{"greet/libhelper.so", "greet/libplain.so"} {
		files[p], _ = os.ReadFile(filepath.Join(root, distPackages, p))
	}
	for _, p := range []string{"libinner.so.2.0.1", "libouter.so.1.4.0"} {
		files[p], _ = os.ReadFile(filepath.Join(libdir, p))
	}
	return root, files
}

func readWheel(t *testing.T, path string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string][]byte{}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name], _ = io.ReadAll(r)
		r.Close()
	}
	return out
}

func dynamic(t *testing.T, data []byte) (needed, rpath, runpath []string, soname string) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	needed, _ = f.DynString(elf.DT_NEEDED)
	rpath, _ = f.DynString(elf.DT_RPATH)
	runpath, _ = f.DynString(elf.DT_RUNPATH)
	if s, _ := f.DynString(elf.DT_SONAME); len(s) > 0 {
		soname = s[0]
	}
	return
}

func hash8(data []byte) string {
	sum := sha256.Sum256(data)
	return strings.ToLower(base16(sum[:])[:8])
}

func base16(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// TestWheelsCarryTheLibrariesTheyLink: auditwheel's repair, checked file by file.
func TestWheelsCarryTheLibrariesTheyLink(t *testing.T) {
	root, src := elfHarvest(t)
	out := filepath.Join(t.TempDir(), "wheels")
	if _, err := WriteWheels(root, out, WheelOptions{}); err != nil {
		t.Fatal(err)
	}
	wheel := readWheel(t, filepath.Join(out, "greet_pkg-1.2-py3-none-any.whl"))
	outer := "greet_pkg.libs/libouter-" + hash8(src["libouter.so.1.4.0"]) + ".so.1.4.0"
	inner := "greet_pkg.libs/libinner-" + hash8(src["libinner.so.2.0.1"]) + ".so.2.0.1"
	for _, name := range []string{outer, inner} {
		if _, ok := wheel[name]; !ok {
			t.Fatalf("%s not in the wheel: %v", name, keys(wheel))
		}
	}
	needed, rpath, runpath, _ := dynamic(t, wheel["greet/libhelper.so"])
	if strings.Join(needed, " ") != filepath.Base(outer)+" libm.so.6 libc.so.6" {
		t.Errorf("libhelper.so needs %v", needed)
	}
	if strings.Join(rpath, ":") != "$ORIGIN/../greet_pkg.libs" || len(runpath) > 0 {
		t.Errorf("libhelper.so: RPATH %v RUNPATH %v", rpath, runpath)
	}
	needed, rpath, runpath, soname := dynamic(t, wheel[outer])
	if soname != filepath.Base(outer) || strings.Join(needed, " ") != filepath.Base(inner)+" libc.so.6" ||
		strings.Join(rpath, ":") != "$ORIGIN" || len(runpath) > 0 {
		t.Errorf("%s: SONAME %s NEEDED %v RPATH %v RUNPATH %v (its own RUNPATH must be gone)", outer, soname, needed, rpath, runpath)
	}
	needed, rpath, runpath, soname = dynamic(t, wheel[inner])
	if soname != filepath.Base(inner) || len(rpath)+len(runpath) > 0 || strings.Join(needed, " ") != "libc.so.6" {
		t.Errorf("%s: SONAME %s NEEDED %v RPATH %v RUNPATH %v", inner, soname, needed, rpath, runpath)
	}
	if !bytes.Equal(wheel["greet/libplain.so"], src["greet/libplain.so"]) {
		t.Error("libplain.so needs only libc, yet it was changed")
	}
	// RECORD lists every file with its hash.
	record := string(wheel["greet_pkg-1.2.dist-info/RECORD"])
	for name, data := range wheel {
		if strings.HasSuffix(name, "/RECORD") {
			continue
		}
		sum := sha256.Sum256(data)
		if line := name + ",sha256=" + base64.RawURLEncoding.EncodeToString(sum[:]); !strings.Contains(record, line+",") {
			t.Errorf("RECORD lacks %s", line)
		}
	}
	// The other wheel has no ELF file: as before.
	plain, _ := WriteWheels(fakeHarvest(t), filepath.Join(t.TempDir(), "wheels"), WheelOptions{})
	for _, w := range plain {
		if filepath.Base(w) == "oldstyle-0.9-py3-none-any.whl" {
			a, _ := os.ReadFile(w)
			b, _ := os.ReadFile(filepath.Join(out, filepath.Base(w)))
			if !bytes.Equal(a, b) {
				t.Error("a wheel without ELF files changed")
			}
		}
	}

	// Byte for byte the same on a second run.
	again := filepath.Join(t.TempDir(), "wheels")
	if _, err := WriteWheels(root, again, WheelOptions{}); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(out, "greet_pkg-1.2-py3-none-any.whl"))
	b, _ := os.ReadFile(filepath.Join(again, "greet_pkg-1.2-py3-none-any.whl"))
	if !bytes.Equal(a, b) {
		t.Error("the repaired wheel differs between two runs")
	}

	// The loader finds the carried libraries from where pip installs the wheel, with
	// nothing of the root on this machine's library path.
	python, err := exec.LookPath("python3")
	if err != nil {
		return
	}
	target := t.TempDir()
	pip := exec.Command(python, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--target", target, filepath.Join(out, "greet_pkg-1.2-py3-none-any.whl"))
	pip.Env = cleanEnv(os.Environ())
	if b, err := pip.CombinedOutput(); err != nil {
		t.Fatalf("pip: %v\n%s", err, b)
	}
	run := exec.Command(python, "-c", "import ctypes, sys; print(ctypes.CDLL(sys.argv[1]).answer())", filepath.Join(target, "greet/libhelper.so"))
	if b, err := run.CombinedOutput(); err != nil || strings.TrimSpace(string(b)) != "42" {
		t.Errorf("loading the installed libhelper.so: %v %s", err, b)
	}
}

// TestSystemLinkedWheelsKeepTheirELFFiles: --system-linked leaves the files as Debian built them.
func TestSystemLinkedWheelsKeepTheirELFFiles(t *testing.T) {
	root, src := elfHarvest(t)
	out := filepath.Join(t.TempDir(), "wheels")
	if _, err := WriteWheels(root, out, WheelOptions{SystemLinked: true}); err != nil {
		t.Fatal(err)
	}
	wheel := readWheel(t, filepath.Join(out, "greet_pkg-1.2-py3-none-any.whl"))
	for name := range wheel {
		if strings.Contains(name, ".libs/") {
			t.Errorf("a system-linked wheel carries %s", name)
		}
	}
	if !bytes.Equal(wheel["greet/libhelper.so"], src["greet/libhelper.so"]) {
		t.Error("libhelper.so was changed")
	}
}

func TestWheelRepairNamesAMissingLibrary(t *testing.T) {
	root, _ := elfHarvest(t)
	os.Remove(filepath.Join(root, "usr/lib/x86_64-linux-gnu/libinner.so.2"))
	_, err := WriteWheels(root, filepath.Join(t.TempDir(), "wheels"), WheelOptions{})
	if err == nil || !regexp.MustCompile(`libouter.so.1.4.0 needs libinner.so.2, which is nowhere in the harvest root`).MatchString(err.Error()) {
		t.Fatalf("got %v", err)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
