package measure

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// tarLayer builds a layer from tar headers; a regular file gets Size zero bytes.
func tarLayer(t *testing.T, headers ...tar.Header) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range headers {
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(make([]byte, h.Size)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func fileEntry(name string, size int64) tar.Header {
	return tar.Header{Name: name, Typeflag: tar.TypeReg, Size: size}
}
func dirEntry(name string) tar.Header {
	return tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: 0o755}
}
func linkEntry(name, target string) tar.Header {
	return tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777}
}

// A name longer than a tar header holds: the writer puts a PAX header before it.
var longName = "opt/venv/lib/python3.13/site-packages/flask/" + strings.Repeat("x", 120) + ".py"

// multiStageLayers are layers shaped like a multi-stage image: the runtime base (its
// own pip in site-packages, /lib a link to usr/lib), the app user, the venv (one name
// long enough for a PAX header), a carried library, the bytecode and the app.
func multiStageLayers(t *testing.T) []v1.Layer {
	return []v1.Layer{
		tarLayer(t, linkEntry("lib", "usr/lib"), fileEntry("usr/local/lib/python3.13/site-packages/pip/__init__.py", 3000), fileEntry("usr/lib/x86_64-linux-gnu/libc.so.6", 2000)),
		tarLayer(t, fileEntry("etc/passwd", 900)),
		tarLayer(t, dirEntry("opt/venv"), fileEntry("opt/venv/lib/python3.13/site-packages/flask/__init__.py", 5000), fileEntry(longName, 100),
			fileEntry("opt/venv/lib/python3.13/site-packages/flask/__pycache__/__init__.cpython-313.pyc", 700)),
		tarLayer(t, dirEntry("usr/lib/x86_64-linux-gnu"), linkEntry("usr/lib/x86_64-linux-gnu/libpq.so.5", "libpq.so.5.17"), fileEntry("usr/lib/x86_64-linux-gnu/libpq.so.5.17", 4000)),
		tarLayer(t, fileEntry("usr/local/lib/python3.13/__pycache__/os.cpython-313.pyc", 1500)),
		tarLayer(t, dirEntry("app"), fileEntry("app/app.py", 42), fileEntry("app/.wh.old.py", 0)),
	}
}

// libpq is named by the path the builder's loader found it at: /lib, a link in this base.
// productionPlaces are the places of a production image that carries libpq.
var productionPlaces = Places{App: "/app", Venv: "/opt/venv", Native: []string{"/lib/x86_64-linux-gnu/libpq.so.5"}}

// TestPartsAddUpToSize: every byte of every layer's tar stream is in exactly one part,
// by the rules Parts documents, and the parts add up to SIZE.
func TestPartsAddUpToSize(t *testing.T) {
	t.Setenv("MULTISTAGE_MEASURE_CACHE", t.TempDir())
	m, err := readTarball(imageTarball(t, multiStageLayers(t)...))
	if err != nil {
		t.Fatal(err)
	}
	m.baseLayers = 1
	parts := m.Parts(productionPlaces)
	layer := func(i int) int64 { return m.Layers[i].UncompressedBytes }
	if parts.Total() != m.Sizes.UncompressedBytes {
		t.Fatalf("parts add up to %d, SIZE is %d: %+v", parts.Total(), m.Sizes.UncompressedBytes, parts)
	}
	// A header block, and the data padded to blocks: the pyc in the venv is bytecode.
	pyc := int64(512 + 1024)
	want := Parts{
		// The base's layer whole (its pip too), the app user's, and the carried library's directory entry.
		Base: layer(0) + layer(1) + 512,
		// The venv's layer but its bytecode; its end-of-archive blocks come with it.
		Dependencies: layer(2) - pyc,
		// The link the loader opens and the file it leads to, and their layer's end.
		NativeLibraries: layer(3) - 512,
		Bytecode:        pyc + layer(4),
		// The app's layer whole, its whiteout too.
		App: layer(5),
	}
	if parts != want {
		t.Errorf("parts %+v, want %+v", parts, want)
	}
	if m.Sizes.Parts != (Parts{}) {
		t.Error("a measurement's sizes carry parts before the image's native libraries are known")
	}
	var long layerFile
	for _, f := range m.listings[2].Files {
		if f.Name == longName {
			long = f
		}
	}
	if long.Stream <= 512+512 {
		t.Errorf("the long name's PAX header is not counted: %+v", long)
	}

	// Without base layers (minimal is built on scratch), the base's pip is a dependency by its path.
	m.baseLayers = 0
	if got := m.Parts(productionPlaces); got.Dependencies <= want.Dependencies || got.Total() != m.Sizes.UncompressedBytes {
		t.Errorf("without base layers: %+v", got)
	}
	// Without native libraries, the library is the base's.
	m.baseLayers = 1
	if got := m.Parts(Places{App: "/app", Venv: "/opt/venv"}); got.NativeLibraries != 0 || got.Base != want.Base+want.NativeLibraries || got.Total() != m.Sizes.UncompressedBytes {
		t.Errorf("without native libraries: %+v", got)
	}
}

// TestSingleStageParts: above the base, pip's site-packages are dependencies, its
// bytecode is bytecode, and its console script (in /usr/local/bin) stays with the base.
func TestSingleStageParts(t *testing.T) {
	t.Setenv("MULTISTAGE_MEASURE_CACHE", t.TempDir())
	m, err := readTarball(imageTarball(t,
		tarLayer(t, fileEntry("usr/local/lib/python3.13/site-packages/pip/__init__.py", 3000), fileEntry("usr/bin/python3", 9000)),
		tarLayer(t, dirEntry("app"), fileEntry("app/requirements.txt", 6)),
		tarLayer(t, fileEntry("usr/local/lib/python3.13/site-packages/flask/app.py", 60000),
			fileEntry("usr/local/lib/python3.13/site-packages/flask/__pycache__/app.cpython-313.pyc", 70000), fileEntry("usr/local/bin/flask", 200)),
		tarLayer(t, fileEntry("app/app.py", 42)),
	))
	if err != nil {
		t.Fatal(err)
	}
	m.baseLayers = 1
	parts := m.Parts(Places{App: "/app", Venv: "/opt/venv"})
	layer := func(i int) int64 { return m.Layers[i].UncompressedBytes }
	want := Parts{Base: layer(0) + 512 + 512, Dependencies: 512 + 60416, Bytecode: 512 + 70144, App: layer(1) + layer(3)}
	// The pip layer's end-of-archive blocks go with its largest part, the bytecode.
	want.Bytecode += layer(2) - (512 + 60416) - (512 + 70144) - (512 + 512)
	if parts != want || parts.Total() != m.Sizes.UncompressedBytes {
		t.Errorf("parts %+v, want %+v (SIZE %d)", parts, want, m.Sizes.UncompressedBytes)
	}
}

// TestNativeLibrariesAreFoundWhereTheImageKeepsThem: minimal keeps a library where
// the builder's loader found it (/lib), and its /lib is a real directory.
func TestNativeLibrariesAreFoundWhereTheImageKeepsThem(t *testing.T) {
	files := []layerFile{
		{Name: "lib/x86_64-linux-gnu/libpq.so.5", Type: tar.TypeSymlink, Target: "libpq.so.5.17"},
		{Name: "lib/x86_64-linux-gnu/libpq.so.5.17", Type: tar.TypeReg, Size: 4000},
		{Name: "usr/lib/x86_64-linux-gnu/libyaml.so", Type: tar.TypeSymlink, Target: "/usr/lib/x86_64-linux-gnu/libyaml.so"}, // a loop
	}
	got := nativeFileNames(files, []string{
		"/usr/lib/x86_64-linux-gnu/libpq.so.5",
		"/usr/lib/x86_64-linux-gnu/libyaml.so",
		"/usr/lib/x86_64-linux-gnu/libnone.so.1",
	})
	want := map[string]bool{"lib/x86_64-linux-gnu/libpq.so.5": true, "lib/x86_64-linux-gnu/libpq.so.5.17": true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("native files %v, want %v", got, want)
	}
}

// TestMeasureScriptSplitsLikeTheGoReader: measure.py (the engine's reading) lists the
// same entries, stream bytes and link targets as the Go reader, and says how many of
// the image's layers are the base's own.
func TestMeasureScriptSplitsLikeTheGoReader(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 to run measure.py with")
	}
	t.Setenv("MULTISTAGE_MEASURE_CACHE", t.TempDir())
	layers := multiStageLayers(t)
	path := imageTarball(t, layers...)
	base := imageTarball(t, layers[0])
	out := filepath.Join(t.TempDir(), "reading.json")
	if msg, err := exec.Command(python, "-I", "../scripts/measure.py", path, t.TempDir(), out, base).CombinedOutput(); err != nil {
		t.Fatalf("measure.py: %v\n%s", err, msg)
	}
	var reading engineReading
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &reading); err != nil {
		t.Fatal(err)
	}
	engine := reading.measurement()
	if reading.BaseLayers != 1 {
		t.Errorf("measure.py found %d base layers, want 1", reading.BaseLayers)
	}
	goReader, err := readTarball(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range goReader.listings {
		if !reflect.DeepEqual(engine.listings[i], goReader.listings[i]) {
			t.Errorf("layer %d:\nmeasure.py %+v\nGo         %+v", i, engine.listings[i], goReader.listings[i])
		}
	}
	goReader.baseLayers = 1
	if engine.Parts(productionPlaces) != goReader.Parts(productionPlaces) || engine.Parts(productionPlaces).Total() != engine.Sizes.UncompressedBytes {
		t.Errorf("parts: measure.py %+v, Go %+v, SIZE %d", engine.Parts(productionPlaces), goReader.Parts(productionPlaces), engine.Sizes.UncompressedBytes)
	}
}

// imageTarball writes layers as a docker-format image tarball and returns its path.
func imageTarball(t *testing.T, layers ...v1.Layer) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "image.tar")
	if err := tarball.WriteToFile(path, name.MustParseReference("parts/test:1"), image(t, "", layers...)); err != nil {
		t.Fatal(err)
	}
	return path
}
