package recipe

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline/failure"
)

// buildELF compiles a program that links the given libraries (as -l:NAME), or skips.
func buildELF(t *testing.T, dir, name string, link ...string) string {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc on this machine: the test links real ELF files with it")
	}
	src := filepath.Join(dir, name+".c")
	os.WriteFile(src, []byte("extern const char *zlibVersion(void);\nint main(void) { return zlibVersion()[0]; }\n"), 0o644)
	out := filepath.Join(dir, name)
	args := []string{"-o", out, src, "-L" + dir, "-Wl,--no-as-needed"}
	for _, l := range link {
		args = append(args, "-l:"+l)
	}
	if b, err := exec.Command(gcc, args...).CombinedOutput(); err != nil {
		t.Skipf("gcc could not link against %v here: %s", link, b)
	}
	return out
}

// runtimeRoot makes a root with only a C library placeholder, merged-/usr like Debian's.
func runtimeRoot(t *testing.T, osRelease string) string {
	t.Helper()
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "usr/lib/x86_64-linux-gnu"), 0o755)
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.Symlink("usr/lib", filepath.Join(root, "lib"))
	for _, lib := range []string{"libc.so.6"} {
		os.WriteFile(filepath.Join(root, "usr/lib/x86_64-linux-gnu", lib), nil, 0o644)
	}
	os.WriteFile(filepath.Join(root, "etc/os-release"), []byte(osRelease), 0o644)
	return root
}

// needScanTools skips a test of native.py on a machine without the tools it runs.
func needScanTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"python3", "ldd", "ldconfig"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s on this machine: the scan runs with it", tool)
		}
	}
}

// The scan with the host's real loader, loader cache and dpkg: an extension that links
// libz, which the runtime root lacks, has libz carried with its package; one that links
// a library nobody has is named.
func TestNativeScanCarriesWhatTheRuntimeLacks(t *testing.T) {
	needScanTools(t)
	hostRelease, err := os.ReadFile("/etc/os-release")
	if err != nil {
		t.Skip("no /etc/os-release on this machine")
	}
	dir := t.TempDir()
	venv := filepath.Join(dir, "venv")
	site := filepath.Join(venv, "lib/python3/site-packages/pkg")
	os.MkdirAll(site, 0o755)
	zlibUser := buildELF(t, dir, "ext", "libz.so.1")
	os.Rename(zlibUser, filepath.Join(site, "_speedups.so"))
	os.Symlink("_speedups.so", filepath.Join(site, "link.so")) // a link is not scanned twice

	scan := runNativeScript(t, dir, venv, runtimeRoot(t, string(hostRelease)))
	if len(scan.Missing) != 0 || len(scan.Carried) != 1 {
		t.Fatalf("want libz carried and nothing missing, got %+v", scan)
	}
	lib := scan.Carried[0]
	if lib.Soname != "libz.so.1" || lib.Bytes < 10_000 || !strings.HasPrefix(lib.Path, "/usr/lib/") ||
		len(lib.NeededBy) != 1 || lib.NeededBy[0] != "lib/python3/site-packages/pkg/_speedups.so" {
		t.Fatalf("carried library wrong: %+v", lib)
	}
	if _, err := exec.LookPath("dpkg-query"); err == nil && (lib.Package != "zlib1g" || lib.Version == "") {
		t.Fatalf("dpkg did not name zlib1g and its version: %+v", lib)
	}
	// At its path in the tree to carry, the soname a link and its target a file, dated.
	carried := filepath.Join(dir, "out/root", lib.Path)
	if st, err := os.Lstat(carried); err != nil || st.Mode()&os.ModeSymlink == 0 || st.ModTime().Unix() != 0 {
		t.Fatalf("%s is not a dated link in the tree to carry: %v %v", lib.Path, st, err)
	}
	if st, err := os.Stat(carried); err != nil || st.Size() != lib.Bytes {
		t.Fatalf("the link's target was not carried whole: %v %v", st, err)
	}
	if scan.refusal() != nil {
		t.Fatalf("same release, nothing missing: want no refusal, got %v", scan.refusal())
	}
	if got := scan.whereFrom("libz.so.1"); !strings.HasPrefix(got, "in the builder ") || !strings.HasSuffix(got, "; not in the runtime base") {
		t.Fatalf("where libz comes from: %q", got)
	}

	// Another release: carrying is refused in one line.
	scan = runNativeScript(t, dir, venv, runtimeRoot(t, "ID=alpine\nVERSION_ID=3.20\nPRETTY_NAME=\"Alpine Linux v3.20\"\n"))
	if err := scan.refusal(); err == nil || !strings.Contains(err.Error(), "the runtime base Alpine Linux v3.20: use bases of the same distribution release") {
		t.Fatalf("want a refusal naming both releases, got %v", err)
	}
}

func TestNativeScanNamesALibraryNeitherBaseHas(t *testing.T) {
	needScanTools(t)
	dir := t.TempDir()
	// A library that exists only while linking: the loader will not find it.
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc on this machine: the test links real ELF files with it")
	}
	lib := filepath.Join(dir, "libgone.so.1")
	os.WriteFile(filepath.Join(dir, "gone.c"), []byte("int gone(void) { return 1; }\n"), 0o644)
	if b, err := exec.Command(gcc, "-shared", "-fPIC", "-Wl,-soname,libgone.so.1", "-o", lib, filepath.Join(dir, "gone.c")).CombinedOutput(); err != nil {
		t.Skipf("gcc: %s", b)
	}
	venv := filepath.Join(dir, "venv")
	os.MkdirAll(filepath.Join(venv, "pkg"), 0o755)
	user := buildELF(t, dir, "user", "libz.so.1", "libgone.so.1")
	os.Rename(user, filepath.Join(venv, "pkg/_ext.so"))
	os.Remove(lib)
	release, _ := os.ReadFile("/etc/os-release")
	scan := runNativeScript(t, dir, venv, runtimeRoot(t, string(release)))
	err = scan.refusal()
	if err == nil || err.Error() != "pkg/_ext.so needs libgone.so.1: in neither base: add the package that has it to the builder base" {
		t.Fatalf("want the one line naming the file and the library, got %v", err)
	}
}

func runNativeScript(t *testing.T, dir, venv, runtime string) *NativeScan {
	t.Helper()
	out := filepath.Join(dir, "out")
	os.RemoveAll(out)
	cmd := exec.Command("python3", "../scripts/native.py", out, runtime, venv, "0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("native.py: %v\n%s", err, b)
	}
	data, err := os.ReadFile(filepath.Join(out, "native.json"))
	if err != nil {
		t.Fatal(err)
	}
	scan, err := parseNativeScan(string(data))
	if err != nil {
		t.Fatal(err)
	}
	return scan
}

func TestParseMissingLinks(t *testing.T) {
	out := "yaml/_yaml.cpython-313-x86_64-linux-gnu.so\tlibyaml-0.so.2\npsycopg2/_psycopg.cpython-313-x86_64-linux-gnu.so\tlibpq.so.5\n\nnoise without a tab\n"
	got := parseMissingLinks(out)
	want := []missingLink{{"psycopg2/_psycopg.cpython-313-x86_64-linux-gnu.so", "libpq.so.5"}, {"yaml/_yaml.cpython-313-x86_64-linux-gnu.so", "libyaml-0.so.2"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %+v", got)
	}
}

func TestWhereAMissingLibraryCouldComeFrom(t *testing.T) {
	scan := &NativeScan{Carried: []NativeLibrary{{Soname: "libpq.so.5", Path: "/usr/lib/x86_64-linux-gnu/libpq.so.5", Package: "libpq5", Version: "17.6-0+deb13u1"}}}
	if got := scan.whereFrom("libpq.so.5"); got != "in the builder from libpq5 17.6-0+deb13u1; not in the runtime base" {
		t.Fatalf("got %q", got)
	}
	if got := scan.whereFrom("libmagic.so.1"); got != "in neither base: add the package that has it to the builder base" {
		t.Fatalf("got %q", got)
	}
	data, _ := json.Marshal(map[string]any{"carried": []any{}, "missing": []any{}, "unnamed": []string{"libmagic.so.1"}})
	unnamed, _ := parseNativeScan(string(data))
	if err := unnamed.refusal(); err == nil || !strings.HasPrefix(err.Error(), "runtime library libmagic.so.1 is not known to the builder base's loader") {
		t.Fatalf("got %v", err)
	}
}

func TestPipsReasonLeadsABuildFailure(t *testing.T) {
	output := `Collecting psycopg2
  Preparing metadata (setup.py): started
  error: subprocess-exited-with-error
  × python setup.py egg_info did not run successfully.
      running egg_info
      Error: pg_config executable not found.
      pg_config is required to build psycopg2 from source.  Please add the directory
  note: This error originates from a subprocess, and is likely not a problem with pip.
error: metadata-generation-failed
ERROR: Could not install packages due to an OSError`
	err := &dagger.ExecError{Cmd: []string{"pip", "install", "psycopg2"}, ExitCode: 1, Stderr: output}
	got := failure.Describe(err)
	if !strings.Contains(got, "Error: pg_config executable not found. ERROR: Could not install packages") {
		t.Fatalf("pip's own reason is not first: %q", got)
	}
	if !errors.As(error(err), new(*dagger.ExecError)) {
		t.Fatal("not an exec error")
	}
}
