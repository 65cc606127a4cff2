package kit

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
	write(dp+"/greet/__init__.py", "def hello():\n    return 'hello from greet'\n")
	write(dp+"/greet/__pycache__/__init__.cpython-313.pyc", "bytecode")
	write(dp+"/Greet_Pkg-1.2.dist-info/METADATA", "Metadata-Version: 2.1\nName: Greet-Pkg\nVersion: 1.2\n\nA description.\n")
	write(dp+"/Greet_Pkg-1.2.dist-info/RECORD", "stale,,\n")
	write(dp+"/Greet_Pkg-1.2.dist-info/INSTALLER", "debian\n")
	write(dp+"/oldstyle/__init__.py", "VALUE = 42\n")
	write(dp+"/OldStyle-0.9.egg-info/PKG-INFO", "Metadata-Version: 1.1\nName: OldStyle\nVersion: 0.9\n")
	write(dp+"/OldStyle-0.9.egg-info/top_level.txt", "oldstyle\n")
	write(dp+"/OldStyle-0.9.egg-info/dependency_links.txt", "\n")
	write("/var/lib/dpkg/info/python3-greet.list", strings.Join([]string{"/.", "/usr", dp, dp + "/greet", dp + "/greet/__init__.py", dp + "/greet/__pycache__/__init__.cpython-313.pyc",
		dp + "/Greet_Pkg-1.2.dist-info", dp + "/Greet_Pkg-1.2.dist-info/METADATA", dp + "/Greet_Pkg-1.2.dist-info/RECORD", "/usr/share/doc/python3-greet/copyright"}, "\n")+"\n")
	write("/var/lib/dpkg/info/python3-oldstyle:amd64.list", strings.Join([]string{dp + "/oldstyle", dp + "/oldstyle/__init__.py",
		dp + "/OldStyle-0.9.egg-info", dp + "/OldStyle-0.9.egg-info/PKG-INFO", dp + "/OldStyle-0.9.egg-info/top_level.txt"}, "\n")+"\n")
	return root
}

// TestWheelsInstallWithPip hands the wheels to a real pip, with no index, and imports them.
func TestWheelsInstallWithPip(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 on this machine")
	}
	out := filepath.Join(t.TempDir(), "wheels")
	wheels, err := WriteWheels(fakeHarvest(t), out)
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

	target := t.TempDir()
	pip := exec.Command(python, "-m", "pip", "install", "--no-index", "--find-links", out, "--target", target, "greet-pkg", "oldstyle")
	pip.Env = cleanEnv(os.Environ())
	if b, err := pip.CombinedOutput(); err != nil {
		t.Fatalf("pip refused the wheels: %v\n%s", err, b)
	}
	run := exec.Command(python, "-c", "import greet, oldstyle; print(greet.hello(), oldstyle.VALUE)")
	run.Env = append(cleanEnv(os.Environ()), "PYTHONPATH="+target)
	b, err := run.CombinedOutput()
	if err != nil || strings.TrimSpace(string(b)) != "hello from greet 42" {
		t.Fatalf("import after install: %v %s", err, b)
	}
	if _, err := os.Stat(filepath.Join(target, "greet", "__pycache__", "__init__.cpython-313.pyc")); err == nil {
		t.Fatal("bytecode from the harvest root was packed")
	}
}

func TestWheelsRefuseAnUnownedDistribution(t *testing.T) {
	root := fakeHarvest(t)
	os.Remove(filepath.Join(root, "var/lib/dpkg/info/python3-greet.list"))
	_, err := WriteWheels(root, filepath.Join(t.TempDir(), "wheels"))
	if err == nil || !strings.Contains(err.Error(), "no Debian package owns") {
		t.Fatalf("got %v", err)
	}
}

func TestMakeNeedsADirectory(t *testing.T) {
	if _, err := Make(t.Context(), Options{}); err == nil || !strings.Contains(err.Error(), "pass --dir DIR") {
		t.Fatalf("got %v", err)
	}
}
