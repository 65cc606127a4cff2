package bench

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The big-dependency case: a pure-Python distribution of a chosen size, generated
// here (no download), installed beside the app's own requirements. Made for the
// benchmark to show how each way's edit time grows with what the dependencies weigh.
const (
	// BigDepsProject is the distribution's name, as requirements.txt names it.
	BigDepsProject = "multistage-bench-bigdeps"
	// bigDepsPackage is the import name and the wheel's file-name prefix.
	bigDepsPackage = "multistage_bench_bigdeps"
	// bigDepsRelease changes whenever the generator makes other bytes; the size is the
	// version's local label, so each size is a release of its own.
	bigDepsRelease = "1.0.0"
	// bigDepsFileSize is the mean size of a file in the package: 200 MB come as ~3,000
	// files, about what large pure-Python distributions have (botocore: 200 MB unpacked).
	bigDepsFileSize = 64 << 10
	// Every bigDepsModuleEvery-th file is a Python module (the rest is data), so that
	// the package has code to import and byte-compile without its bulk being code.
	bigDepsModuleEvery = 32
	bigDepsFilesPerDir = 100
	bigDepsMinSize     = 1 << 20
)

// BigDeps is a generated wheel of a given size and the wheels directory that holds it
// with the kit's wheels, for pip's --find-links.
type BigDeps struct {
	Size   int64  // bytes of the package's files once installed (dist-info not counted)
	Files  int    // files of the package (dist-info not counted)
	Wheel  string // the wheel's path
	Wheels string // the directory holding the kit's wheels and this one
}

// bigDepsTime is every zip entry's time: the earliest a zip can say, as
// SOURCE_DATE_EPOCH=315532800 tools write, so that the wheel is the same every time.
var bigDepsTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// bigDepsVersion is the release with the size as its local label (PEP 440), as
// torch's 2.0.0+cpu names a build.
func bigDepsVersion(size int64) string {
	return fmt.Sprintf("%s+%d", bigDepsRelease, size)
}

// BigDepsWheelName is the wheel's file name for a size.
func BigDepsWheelName(size int64) string {
	return fmt.Sprintf("%s-%s-py3-none-any.whl", bigDepsPackage, bigDepsVersion(size))
}

// PrepareBigDeps makes, beside the kit's wheels directory, one named after the size
// (wheels-bigdeps-SIZE/) holding the big wheel (generated once, then reused: the
// generator makes the same bytes every time) and the kit's wheels (linked, else
// copied, again at every call, so that a remade kit is seen).
func PrepareBigDeps(kitWheels string, size int64) (*BigDeps, error) {
	if size < bigDepsMinSize {
		return nil, fmt.Errorf("a big dependency of %d bytes: give at least 1MiB", size)
	}
	dir := filepath.Join(filepath.Dir(kitWheels), fmt.Sprintf("wheels-bigdeps-%d", size))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	wheel := filepath.Join(dir, BigDepsWheelName(size))
	// The kit's wheels, refreshed: every other file goes, then each is linked again.
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Name() != filepath.Base(wheel) {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return nil, err
			}
		}
	}
	kitEntries, err := os.ReadDir(kitWheels)
	if err != nil {
		return nil, err
	}
	for _, e := range kitEntries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), bigDepsPackage+"-") {
			continue
		}
		if err := linkOrCopy(filepath.Join(kitWheels, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			return nil, err
		}
	}
	files := bigDepsLayout(size)
	if _, err := os.Stat(wheel); err != nil {
		tmp := fmt.Sprintf("%s.tmp-%d", wheel, os.Getpid())
		if err := writeBigWheel(tmp, size); err != nil {
			os.Remove(tmp)
			return nil, err
		}
		if err := os.Rename(tmp, wheel); err != nil {
			return nil, err
		}
	}
	return &BigDeps{Size: size, Files: len(files), Wheel: wheel, Wheels: dir}, nil
}

func linkOrCopy(from, to string) error {
	if os.Link(from, to) == nil {
		return nil
	}
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o644)
}

// bigDepsFile is one file of the package: its path in the wheel and its size.
type bigDepsFile struct {
	path string
	size int64
}

// bigDepsLayout lays the package out: __init__.py, then files of ~64 KiB (sizes
// varying in pairs around the mean, so that they add up), every 32nd a module, the
// others data, 100 to a directory; the last file takes what is left, so that the
// files add up to size exactly.
func bigDepsLayout(size int64) []bigDepsFile {
	init := int64(len(bigDepsInit(size, 0)))
	rest := size - init
	n := int(rest / bigDepsFileSize)
	if n < 1 {
		n = 1
	}
	rng := rand.New(rand.NewPCG(uint64(size), 1))
	files := []bigDepsFile{{path: bigDepsPackage + "/__init__.py", size: init}}
	var used int64
	for i := range n {
		size := int64(bigDepsFileSize)
		if i%2 == 0 && i+1 < n {
			size += rng.Int64N(bigDepsFileSize*7/8) - bigDepsFileSize*7/16
		} else if i%2 == 1 {
			size = 2*bigDepsFileSize - files[len(files)-1].size
		}
		if i == n-1 {
			size = rest - used
		}
		used += size
		dir := fmt.Sprintf("%s/data/d%03d", bigDepsPackage, i/bigDepsFilesPerDir)
		name := fmt.Sprintf("%s/part%05d.bin", dir, i)
		if i%bigDepsModuleEvery == 0 {
			name = fmt.Sprintf("%s/mod%05d.py", dir, i)
		}
		files = append(files, bigDepsFile{path: name, size: size})
	}
	return files
}

// bigDepsInit is the package's __init__.py; files is its count of files (0 while the
// layout is being counted: the text's length does not depend on it: padded).
func bigDepsInit(size int64, files int) string {
	return fmt.Sprintf(`"""Generated ballast for the multistage benchmark: a pure-Python distribution
of a given size (data files and small modules), made by the benchmark itself."""

SIZE = %16d
FILES = %8d
`, size, files)
}

// bigDepsModule is a Python module of exactly size bytes: a docstring, functions,
// and a comment line that pads it out.
func bigDepsModule(i int, size int64) []byte {
	var b bytes.Buffer
	if header := fmt.Sprintf("\"\"\"Module %d of the generated benchmark package.\"\"\"\n", i); int64(len(header)) <= size {
		b.WriteString(header)
	}
	for k := 0; ; k++ {
		fn := fmt.Sprintf("\n\ndef f%d(x):\n    \"\"\"Returns x plus %d.\"\"\"\n    return x + %d\n", k, k, k)
		if int64(b.Len()+len(fn)) > size {
			break
		}
		b.WriteString(fn)
	}
	switch pad := size - int64(b.Len()); {
	case pad == 1:
		b.WriteString("\n")
	case pad >= 2:
		b.WriteString("#" + strings.Repeat("-", int(pad-2)) + "\n")
	}
	return b.Bytes()
}

// bigDepsData fills p with data that compresses about as much as a compiled binary
// does: in each 4 KiB, 3 KiB from a ChaCha8 stream (its output is specified, so the
// same on every machine) and its first 1 KiB again.
func bigDepsData(rng *rand.ChaCha8, p []byte) {
	for off := 0; off < len(p); off += 4096 {
		block := p[off:min(off+4096, len(p))]
		random := block[:min(3072, len(block))]
		rng.Read(random)
		copy(block[len(random):], random)
	}
}

// writeBigWheel writes the wheel: the package's files stored (not deflated: the zip
// is then the same bytes whatever compressor a Go release has), METADATA, WHEEL and
// RECORD, every entry dated bigDepsTime.
func writeBigWheel(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	buffered := bufio.NewWriterSize(f, 1<<20)
	zw := zip.NewWriter(buffered)
	var record strings.Builder
	add := func(name string, data []byte) error {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: bigDepsTime, ExternalAttrs: 0o100644 << 16, CreatorVersion: 3 << 8})
		if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", name, base64.RawURLEncoding.EncodeToString(sum[:]), len(data))
		return nil
	}
	files := bigDepsLayout(size)
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[:], uint64(size))
	copy(seed[8:], bigDepsPackage)
	rng := rand.NewChaCha8(seed)
	for i, file := range files {
		var data []byte
		switch {
		case i == 0:
			data = []byte(bigDepsInit(size, len(files)))
		case strings.HasSuffix(file.path, ".py"):
			data = bigDepsModule(i-1, file.size)
		default:
			data = make([]byte, file.size)
			bigDepsData(rng, data)
		}
		if int64(len(data)) != file.size {
			return fmt.Errorf("generating %s: %d bytes, want %d", file.path, len(data), file.size)
		}
		if err := add(file.path, data); err != nil {
			return err
		}
	}
	version := bigDepsVersion(size)
	distInfo := bigDepsPackage + "-" + version + ".dist-info/"
	metadata := fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: Generated ballast for the multistage benchmark (%d bytes in %d files)\n",
		BigDepsProject, version, size, len(files))
	if err := add(distInfo+"METADATA", []byte(metadata)); err != nil {
		return err
	}
	if err := add(distInfo+"WHEEL", []byte("Wheel-Version: 1.0\nGenerator: multistage-bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n")); err != nil {
		return err
	}
	if err := add(distInfo+"top_level.txt", []byte(bigDepsPackage+"\n")); err != nil {
		return err
	}
	record.WriteString(distInfo + "RECORD,,\n")
	w, err := zw.CreateHeader(&zip.FileHeader{Name: distInfo + "RECORD", Method: zip.Store, Modified: bigDepsTime, ExternalAttrs: 0o100644 << 16, CreatorVersion: 3 << 8})
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, record.String()); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := buffered.Flush(); err != nil {
		return err
	}
	return f.Close()
}
