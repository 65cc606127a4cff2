package measure

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// unreadableLayer fails if anything tries to read it.
type unreadableLayer struct{ v1.Layer }

func (unreadableLayer) Uncompressed() (io.ReadCloser, error) {
	return nil, errors.New("read again")
}

func TestLayerListingsAreKeptByDiffID(t *testing.T) {
	t.Setenv("MULTISTAGE_MEASURE_CACHE", t.TempDir())
	l := layer(t, entry{name: "app/app.py", size: 42}, entry{name: "usr/bin/passwd", size: 7, mode: 0o4755})
	diffID, err := l.DiffID()
	if err != nil {
		t.Fatal(err)
	}
	first, err := listLayer(l, diffID)
	if err != nil {
		t.Fatal(err)
	}
	// The whole tar stream: two 512-byte headers, two data blocks, two zero blocks.
	if first.UncompressedBytes != 3072 || len(first.Files) != 2 || first.Files[0] != (layerFile{Name: "app/app.py", Type: '0', Size: 42, Mode: 0o644}) {
		t.Fatalf("listing: %+v", first)
	}
	again, err := listLayer(unreadableLayer{l}, diffID)
	if err != nil || again.UncompressedBytes != first.UncompressedBytes || len(again.Files) != 2 {
		t.Fatalf("the kept listing was not used: %+v, %v", again, err)
	}
	other := v1.Hash{Algorithm: "sha256", Hex: "00" + diffID.Hex[2:]}
	if _, err := listLayer(unreadableLayer{l}, other); err == nil {
		t.Fatal("another diff ID found this listing")
	}
}

// TestMeasureScriptKeepsListingsByDiffID runs measure.py as the engine does, on a
// real docker-format tarball: a first reading unpacks every layer and keeps its
// listing; a second, of an image that shares the base, unpacks only its new layer and
// gives the same figures as a reading with nothing kept.
func TestMeasureScriptKeepsListingsByDiffID(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 to run measure.py with")
	}
	base := layer(t, entry{name: "etc/passwd", size: 9}, entry{name: "usr/bin/python", link: "python3.13"})
	app := layer(t, entry{name: "app/app.py", size: 42})
	edited := layer(t, entry{name: "app/app.py", size: 43})
	kept := t.TempDir()
	read := func(t *testing.T, kept string, layers ...v1.Layer) Measurement {
		t.Helper()
		path := filepath.Join(t.TempDir(), "image.tar")
		if err := tarball.WriteToFile(path, name.MustParseReference("measure/test:1"), image(t, "10001", layers...)); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(python, "-I", "../scripts/measure.py", path, kept).Output()
		if err != nil {
			t.Fatalf("measure.py: %v", err)
		}
		var reading engineReading
		if err := json.Unmarshal(out, &reading); err != nil {
			t.Fatal(err)
		}
		m := reading.measurement()
		if st, _ := os.Stat(path); m.Sizes.CompressedBytes != st.Size() {
			t.Errorf("COMPRESSED %d, the tarball has %d bytes", m.Sizes.CompressedBytes, st.Size())
		}
		return m
	}
	if first := read(t, kept, base, app); first.LayersRead != 2 {
		t.Fatalf("a first reading unpacked %d layers, want 2", first.LayersRead)
	}
	afterEdit := read(t, kept, base, edited)
	if afterEdit.LayersRead != 1 {
		t.Errorf("after an edit the reading unpacked %d layers, want only the new one", afterEdit.LayersRead)
	}
	fresh := read(t, t.TempDir(), base, edited)
	if afterEdit.Sizes != fresh.Sizes || !reflect.DeepEqual(afterEdit.Layers, fresh.Layers) || afterEdit.Contents.FileCount != 2 { // etc/passwd and app/app.py (the link is no regular file)
		t.Errorf("with kept listings %+v %+v, read afresh %+v %+v", afterEdit.Sizes, afterEdit.Layers, fresh.Sizes, fresh.Layers)
	}
	// A listing torn by an interrupted reading is read again, not trusted.
	torn, _ := filepath.Glob(filepath.Join(kept, "sha256-*.json"))
	for _, path := range torn {
		os.WriteFile(path, []byte(`{"uncompressedBytes": 10`), 0o644)
	}
	if again := read(t, kept, base, edited); again.LayersRead != 2 || again.Sizes != fresh.Sizes {
		t.Errorf("with torn listings: unpacked %d layers, sizes %+v", again.LayersRead, again.Sizes)
	}
}

// TestDockerCountsFileBytes: a layer's size as Docker's overlay2 shows it adds up its
// regular files and its links' target lengths, not tar headers nor directories.
func TestDockerCountsFileBytes(t *testing.T) {
	t.Setenv("MULTISTAGE_MEASURE_CACHE", t.TempDir())
	l := layer(t, entry{name: "app/app.py", size: 42}, entry{name: "usr/bin/python", link: "python3.13"}, entry{name: "usr/bin/python3.13", size: 1000})
	diffID, _ := l.DiffID()
	listing, err := listLayer(l, diffID)
	if err != nil {
		t.Fatal(err)
	}
	if got := listing.fileBytes(); got != int64(42+len("python3.13")+1000) {
		t.Errorf("docker bytes %d, want %d", got, 42+len("python3.13")+1000)
	}
	hardlinked := layerListing{Files: []layerFile{{Name: "a", Type: '0', Size: 7}, {Name: "b", Type: '1'}, {Name: "d", Type: '5'}}}
	if got := hardlinked.fileBytes(); got != 7 {
		t.Errorf("a hard link counted again, or a directory: %d", got)
	}
}
