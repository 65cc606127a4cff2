package bench

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBigDepsLayoutAddsUp lays out the benchmark's 200 MB case without writing it:
// a few thousand files, none empty, that add up to the size to the byte.
func TestBigDepsLayoutAddsUp(t *testing.T) {
	for _, size := range []int64{1 << 20, 200_000_000, 200_000_000 + 12345} {
		files := bigDepsLayout(size)
		var total int64
		modules := 0
		for _, f := range files {
			if f.size <= 0 {
				t.Errorf("%d: %s has %d bytes", size, f.path, f.size)
			}
			total += f.size
			if strings.HasSuffix(f.path, ".py") {
				modules++
			}
		}
		if total != size {
			t.Errorf("%d: the files add up to %d", size, total)
		}
		if size == 200_000_000 && (len(files) < 2500 || len(files) > 3500 || modules < 50) {
			t.Errorf("200 MB: %d files, %d modules; want about 3,000 files, some of them modules", len(files), modules)
		}
	}
}

// TestBigWheelIsAValidWheelMadeTheSameEveryTime writes a small one twice: the same
// bytes; METADATA, WHEEL and a RECORD whose every hash and size match the entries;
// data that compresses a little, not much; and, where this machine's Python has pip,
// pip installs it and the package imports and knows its own size.
func TestBigWheelIsAValidWheelMadeTheSameEveryTime(t *testing.T) {
	const size = 3 << 20
	kitWheels := filepath.Join(t.TempDir(), "wheels")
	if err := os.MkdirAll(kitWheels, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(kitWheels, "flask-3.1.1-py3-none-any.whl"), []byte("not read"), 0o644); err != nil {
		t.Fatal(err)
	}
	deps, err := PrepareBigDeps(kitWheels, size)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(deps.Wheels, "flask-3.1.1-py3-none-any.whl")); err != nil {
		t.Errorf("the kit's wheels are not beside the big one: %v", err)
	}
	first, err := os.ReadFile(deps.Wheel)
	if err != nil {
		t.Fatal(err)
	}
	again := filepath.Join(t.TempDir(), filepath.Base(deps.Wheel))
	if err := writeBigWheel(again, size); err != nil {
		t.Fatal(err)
	}
	if second, _ := os.ReadFile(again); !bytes.Equal(first, second) {
		t.Error("two wheels of the same size differ")
	}

	zr, err := zip.NewReader(bytes.NewReader(first), int64(len(first)))
	if err != nil {
		t.Fatal(err)
	}
	distInfo := fmt.Sprintf("%s-%s.dist-info/", bigDepsPackage, bigDepsVersion(size))
	entries := map[string][]byte{}
	var packageBytes int64
	packageFiles := 0
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		entries[f.Name] = data
		if strings.HasPrefix(f.Name, bigDepsPackage+"/") {
			packageBytes += int64(len(data))
			packageFiles++
		}
	}
	if packageBytes != size || packageFiles != deps.Files {
		t.Errorf("the package holds %d bytes in %d files; want %d in %d", packageBytes, packageFiles, size, deps.Files)
	}
	if m := string(entries[distInfo+"METADATA"]); !strings.Contains(m, "Name: "+BigDepsProject+"\n") || !strings.Contains(m, "Version: "+bigDepsVersion(size)+"\n") {
		t.Errorf("METADATA:\n%s", m)
	}
	if w := string(entries[distInfo+"WHEEL"]); !strings.Contains(w, "Root-Is-Purelib: true") || !strings.Contains(w, "Tag: py3-none-any") {
		t.Errorf("WHEEL:\n%s", w)
	}
	rows, err := csv.NewReader(bytes.NewReader(entries[distInfo+"RECORD"])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(entries) {
		t.Errorf("RECORD has %d rows for %d entries", len(rows), len(entries))
	}
	for _, row := range rows {
		if row[0] == distInfo+"RECORD" {
			continue
		}
		sum := sha256.Sum256(entries[row[0]])
		if want := "sha256=" + base64.RawURLEncoding.EncodeToString(sum[:]); row[1] != want || row[2] != fmt.Sprint(len(entries[row[0]])) {
			t.Errorf("RECORD row %v does not match the entry (%s, %d bytes)", row, want, len(entries[row[0]]))
		}
	}

	// Data that compresses about as a binary does: not all, not nothing.
	var compressed bytes.Buffer
	zw := zip.NewWriter(&compressed)
	w, _ := zw.Create("x")
	for name, data := range entries {
		if strings.HasSuffix(name, ".bin") {
			w.Write(data)
		}
	}
	zw.Close()
	if ratio := float64(compressed.Len()) / float64(size); ratio < 0.6 || ratio > 0.9 {
		t.Errorf("the data deflates to %.2f of its size; want about 0.75", ratio)
	}

	python, err := exec.LookPath("python3")
	if err != nil || exec.Command(python, "-m", "pip", "--version").Run() != nil {
		t.Log("no pip here: the wheel is not installed")
		return
	}
	target := t.TempDir()
	if out, err := exec.Command(python, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", "--target", target, deps.Wheel).CombinedOutput(); err != nil {
		t.Fatalf("pip install: %v\n%s", err, out)
	}
	cmd := exec.Command(python, "-c", "import "+bigDepsPackage+" as p; print(p.SIZE, p.FILES)")
	cmd.Env = append(os.Environ(), "PYTHONPATH="+target)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("importing the installed package: %v\n%s", err, out)
	}
	if got, want := strings.TrimSpace(string(out)), fmt.Sprint(size, " ", deps.Files); got != want {
		t.Errorf("the installed package says %q, want %q", got, want)
	}
	// Every module compiles, as pip's install step compiles them.
	if out, err := exec.Command(python, "-m", "compileall", "-q", filepath.Join(target, bigDepsPackage)).CombinedOutput(); err != nil {
		t.Errorf("compileall: %v\n%s", err, out)
	}
}
