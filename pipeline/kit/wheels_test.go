package kit

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeHarvest lays out a root as Debian would: a package's files below dist-packages,
// its dist-info (or egg-info), and dpkg's file list naming them.
func fakeHarvest(t *testing.T) string {
	root := t.TempDir()
	write := func(path, content string) {
		full := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dp := "/" + distPackages
	write(dp+"/greet/__init__.py", "def hello():\n    return 'hello from greet'\n\ndef main():\n    print(hello())\n")
	write(dp+"/greet/__pycache__/__init__.cpython-313.pyc", "bytecode")
	write(dp+"/Greet_Pkg-1.2.dist-info/METADATA", "Metadata-Version: 2.1\nName: Greet-Pkg\nVersion: 1.2\n\nA description.\n")
	write(dp+"/Greet_Pkg-1.2.dist-info/RECORD", "stale,,\n")
	write(dp+"/Greet_Pkg-1.2.dist-info/INSTALLER", "debian\n")
	write(dp+"/oldstyle/__init__.py", "VALUE = 42\n")
	write(dp+"/OldStyle-0.9.egg-info/PKG-INFO", "Metadata-Version: 1.1\nName: OldStyle\nVersion: 0.9\n")
	write(dp+"/OldStyle-0.9.egg-info/top_level.txt", "oldstyle\n")
	write(dp+"/OldStyle-0.9.egg-info/dependency_links.txt", "\n")
	// Requirements only in requires.txt, as older setuptools wrote them, and a console script.
	write(dp+"/OldStyle-0.9.egg-info/requires.txt", "greet-pkg>=1\n\n[fast]\ngreet-pkg>=1.1\n")
	write(dp+"/OldStyle-0.9.egg-info/entry_points.txt", "[console_scripts]\noldstyle-value = oldstyle:main\n")
	write(dp+"/oldstyle/__init__.py", "VALUE = 42\n\ndef main():\n    print(VALUE)\n")
	write(dp+"/Greet_Pkg-1.2.dist-info/entry_points.txt", "[console_scripts]\ngreet = greet:main\n")
	// A split package of the same source, owning no metadata (as python3-pkg-resources).
	write(dp+"/oldstyle_data/__init__.py", "TABLE = 'split'\n")
	// Debian's links to shared files: one the root has, one it lacks (the target exists
	// on this machine, and must not be read from it).
	write("/usr/share/javascript/thing.js", "var thing;\n")
	symlink := func(target, path string) {
		if err := os.Symlink(target, filepath.Join(root, path)); err != nil {
			t.Fatal(err)
		}
	}
	symlink("/usr/share/javascript/thing.js", dp+"/greet/thing.js")
	symlink("../greet/thing.js", dp+"/oldstyle/thing.js")
	symlink("/etc/os-release", dp+"/greet/os-release")
	write("/var/lib/dpkg/info/python3-greet.list", strings.Join([]string{"/.", "/usr", dp, dp + "/greet", dp + "/greet/__init__.py", dp + "/greet/__pycache__/__init__.cpython-313.pyc",
		dp + "/greet/thing.js", dp + "/greet/os-release",
		dp + "/Greet_Pkg-1.2.dist-info", dp + "/Greet_Pkg-1.2.dist-info/METADATA", dp + "/Greet_Pkg-1.2.dist-info/RECORD", dp + "/Greet_Pkg-1.2.dist-info/entry_points.txt",
		"/usr/share/doc/python3-greet/copyright"}, "\n")+"\n")
	write("/var/lib/dpkg/info/python3-oldstyle:amd64.list", strings.Join([]string{dp + "/oldstyle", dp + "/oldstyle/__init__.py", dp + "/oldstyle/thing.js",
		dp + "/OldStyle-0.9.egg-info", dp + "/OldStyle-0.9.egg-info/PKG-INFO", dp + "/OldStyle-0.9.egg-info/top_level.txt",
		dp + "/OldStyle-0.9.egg-info/requires.txt", dp + "/OldStyle-0.9.egg-info/entry_points.txt"}, "\n")+"\n")
	write("/var/lib/dpkg/info/python3-oldstyle-data.list", strings.Join([]string{dp + "/oldstyle_data", dp + "/oldstyle_data/__init__.py"}, "\n")+"\n")
	write("/var/lib/dpkg/info/libjs-thing.list", "/usr/share/javascript/thing.js\n")
	write("/var/lib/dpkg/status", "Package: python3-greet\nStatus: install ok installed\nVersion: 1.2-1\n\n"+
		"Package: python3-oldstyle\nStatus: install ok installed\nSource: oldstyle (0.9-1)\nVersion: 0.9-1+b1\n\n"+
		"Package: python3-oldstyle-data\nStatus: install ok installed\nSource: oldstyle\nVersion: 0.9-1\n\n"+
		"Package: libjs-thing\nStatus: install ok installed\nVersion: 1\n")
	return root
}

// TestWheelsInstallWithPip hands the wheels to a real pip, with no index, and imports them.
func TestWheelsInstallWithPip(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 on this machine")
	}
	out := filepath.Join(t.TempDir(), "wheels")
	wheels, err := WriteWheels(fakeHarvest(t), out, WheelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, w := range wheels {
		names = append(names, filepath.Base(w))
	}
	if strings.Join(names, " ") != "greet_pkg-1.2-py3-none-any.whl oldstyle-0.9-py3-none-any.whl" {
		t.Fatalf("wheels: %v", names)
	}

	// oldstyle alone: greet-pkg comes along only as the requirement requires.txt declared.
	target := t.TempDir()
	pip := exec.Command(python, "-m", "pip", "install", "--no-index", "--find-links", out, "--target", target, "oldstyle")
	pip.Env = cleanEnv(os.Environ())
	if b, err := pip.CombinedOutput(); err != nil {
		t.Fatalf("pip refused the wheels: %v\n%s", err, b)
	}
	run := exec.Command(python, "-c", "import greet, oldstyle, oldstyle_data; print(greet.hello(), oldstyle.VALUE, oldstyle_data.TABLE)")
	run.Env = append(cleanEnv(os.Environ()), "PYTHONPATH="+target)
	b, err := run.CombinedOutput()
	if err != nil || strings.TrimSpace(string(b)) != "hello from greet 42 split" {
		t.Fatalf("import after install: %v %s", err, b)
	}
	if _, err := os.Stat(filepath.Join(target, "greet", "__pycache__", "__init__.cpython-313.pyc")); err == nil {
		t.Fatal("bytecode from the harvest root was packed")
	}
	// Console scripts come from entry_points.txt, of a dist-info and of an egg-info alike.
	for script, want := range map[string]string{"greet": "hello from greet", "oldstyle-value": "42"} {
		run := exec.Command(python, filepath.Join(target, "bin", script))
		run.Env = append(cleanEnv(os.Environ()), "PYTHONPATH="+target)
		if b, err := run.CombinedOutput(); err != nil || strings.TrimSpace(string(b)) != want {
			t.Errorf("script %s: %v %q", script, err, b)
		}
	}
	// Links are followed inside the root only.
	for path, want := range map[string]string{"greet/thing.js": "var thing;\n", "oldstyle/thing.js": "var thing;\n", "greet/os-release": ""} {
		b, err := os.ReadFile(filepath.Join(target, path))
		if want == "" && err == nil {
			t.Errorf("%s was read from this machine, not from the root", path)
		} else if want != "" && string(b) != want {
			t.Errorf("%s: %v %q", path, err, b)
		}
	}
}

func TestWheelsAreTheSameEveryRun(t *testing.T) {
	root := fakeHarvest(t)
	var runs [2]map[string][]byte
	for i := range runs {
		out := filepath.Join(t.TempDir(), "wheels")
		wheels, err := WriteWheels(root, out, WheelOptions{})
		if err != nil {
			t.Fatal(err)
		}
		runs[i] = map[string][]byte{}
		for _, w := range wheels {
			b, err := os.ReadFile(w)
			if err != nil {
				t.Fatal(err)
			}
			runs[i][filepath.Base(w)] = b
		}
		now := time.Now().Add(time.Duration(i+1) * time.Hour) // other file times must not matter
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				os.Chtimes(path, now, now)
			}
			return nil
		})
	}
	if len(runs[0]) != 2 {
		t.Fatalf("wheels: %d", len(runs[0]))
	}
	for name, b := range runs[0] {
		if !bytes.Equal(b, runs[1][name]) {
			t.Errorf("%s differs between two runs", name)
		}
	}
}

func TestEggMetadata(t *testing.T) {
	for _, tc := range []struct {
		name, pkgInfo, requires, want string
	}{
		{"no requires.txt", "Metadata-Version: 1.1\nName: a\nVersion: 1\n", "", "Metadata-Version: 1.1\nName: a\nVersion: 1\n"},
		{"an empty requires.txt", "Metadata-Version: 1.1\nName: a\nVersion: 1\n", "\n", "Metadata-Version: 1.1\nName: a\nVersion: 1\n"},
		{"requirements already in PKG-INFO are kept, not doubled",
			"Metadata-Version: 2.4\nName: h11\nVersion: 0.14.0\nRequires-Dist: typing_extensions; python_version < \"3.8\"\n\nBody\n",
			"\n[:python_version < \"3.8\"]\ntyping_extensions\n",
			"Metadata-Version: 2.4\nName: h11\nVersion: 0.14.0\nRequires-Dist: typing_extensions; python_version < \"3.8\"\n\nBody\n"},
		{"plain requirements, extras and markers; the version rises to 2.1; the body stays",
			"Metadata-Version: 1.1\nName: a\nVersion: 1\nSummary: s\n\nLong\n\ndescription\n",
			"h11<1,>=0.9.0\nidna; python_version >= \"3\"\n\n[:sys_platform == \"win32\"]\ncolorama\n\n[Socks Proxy]\nPySocks!=1.5.7\n\n[socks proxy:python_version < \"3.8\"]\nwin-inet-pton\n",
			"Metadata-Version: 2.1\nName: a\nVersion: 1\nSummary: s\n" +
				"Requires-Dist: h11<1,>=0.9.0\n" +
				"Requires-Dist: idna; python_version >= \"3\"\n" +
				"Requires-Dist: colorama; sys_platform == \"win32\"\n" +
				"Provides-Extra: socks_proxy\n" +
				"Requires-Dist: PySocks!=1.5.7; extra == 'socks_proxy'\n" +
				"Requires-Dist: win-inet-pton; (python_version < \"3.8\") and extra == 'socks_proxy'\n" +
				"\nLong\n\ndescription\n"},
		{"a marker of its own and the section's",
			"Metadata-Version: 2.1\nName: a\nVersion: 1",
			"[test:python_version < \"3.11\"]\ntomli; platform_system != \"Windows\"\n",
			"Metadata-Version: 2.1\nName: a\nVersion: 1\nProvides-Extra: test\n" +
				"Requires-Dist: tomli; (platform_system != \"Windows\") and (python_version < \"3.11\") and extra == 'test'\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := eggMetadata([]byte(tc.pkgInfo), []byte(tc.requires))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
	if _, err := eggMetadata([]byte("Name: a\nVersion: 1\n"), []byte("[broken\nx\n")); err == nil {
		t.Error("a broken section was taken")
	}
}

func TestHarvestRootWith(t *testing.T) {
	base, err := HarvestRoot("trixie")
	if err != nil {
		t.Fatal(err)
	}
	a, err := HarvestRoot("trixie", "python3-requests", " python3-yaml", "python3-flask", "")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := HarvestRoot("trixie", "python3-yaml", "python3-requests", "python3-requests")
	if got := strings.Join(a.Packages[len(Harvested):], " "); got != "python3-requests python3-yaml" {
		t.Errorf("extra packages: %q", got)
	}
	opts := Options{}
	if a.key(opts) != b.key(opts) {
		t.Error("the order the packages were named in changes the cache key")
	}
	if a.key(opts) == base.key(opts) {
		t.Error("extra packages leave the cache key as it was")
	}
	if !strings.Contains(strings.Join(a.args(opts), " "), "python3-requests") {
		t.Errorf("mmdebstrap is not asked for the extra packages: %v", a.args(opts))
	}
	for _, bad := range []string{"--variant=extract", "python3 flask", "Python3-Flask"} {
		if _, err := HarvestRoot("trixie", bad); err == nil {
			t.Errorf("%q taken as a package name", bad)
		}
	}
}

func TestWheelsRefuseAnUnownedDistribution(t *testing.T) {
	root := fakeHarvest(t)
	os.Remove(filepath.Join(root, "var/lib/dpkg/info/python3-greet.list"))
	_, err := WriteWheels(root, filepath.Join(t.TempDir(), "wheels"), WheelOptions{})
	if err == nil || !strings.Contains(err.Error(), "no Debian package owns") {
		t.Fatalf("got %v", err)
	}
}

func TestMakeNeedsADirectory(t *testing.T) {
	if _, err := Make(t.Context(), Options{}); err == nil || !strings.Contains(err.Error(), "pass --dir DIR") {
		t.Fatalf("got %v", err)
	}
}

func TestMakeRefusesABadPackageNameBeforeBuilding(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kit")
	_, err := Make(t.Context(), Options{Dir: dir, With: []string{"--customize-hook=true"}})
	if err == nil || !strings.Contains(err.Error(), "not a Debian package name") {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("the kit directory was made before the names were checked")
	}
}
