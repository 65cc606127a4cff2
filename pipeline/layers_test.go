package pipeline

import (
	"encoding/json"
	"errors"
	"io"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
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

func TestKeptLayerDigestsAreListed(t *testing.T) {
	t.Setenv("MULTISTAGE_MEASURE_CACHE", t.TempDir())
	if got := keptDigests(keptLayers); len(got) != 0 {
		t.Fatalf("empty cache lists %v", got)
	}
	keep(keptLayers, "sha256:abc", layerListing{UncompressedBytes: 1})
	keep(keptLayers, "sha256:def", layerListing{UncompressedBytes: 2})
	got := keptDigests(keptLayers)
	if len(got) != 2 || got[0] != "sha256:abc" || got[1] != "sha256:def" {
		t.Fatalf("kept digests: %v", got)
	}
}

func TestAReadingWithAListingThatIsGoneNamesIt(t *testing.T) {
	t.Setenv("MULTISTAGE_MEASURE_CACHE", t.TempDir())
	var reading engineReading
	if err := json.Unmarshal([]byte(`{"tarballBytes": 3000, "user": "10001", "layers": [
		{"digest": "sha256:a", "diffID": "sha256:new", "compressedBytes": 100, "listing": {"uncompressedBytes": 2048, "files": [{"n": "app/app.py", "t": 48, "s": 5}]}},
		{"digest": "sha256:b", "diffID": "sha256:kept", "compressedBytes": 200}]}`), &reading); err != nil {
		t.Fatal(err)
	}
	if _, missing := reading.measurement(); missing != "sha256:kept" {
		t.Fatalf("want the gone listing named, got %q", missing)
	}
	keep(keptLayers, "sha256:kept", layerListing{UncompressedBytes: 1024, Files: []layerFile{{Name: "etc/passwd", Type: '0', Size: 9}}})
	m, missing := reading.measurement()
	if missing != "" || m.Sizes != (Sizes{UncompressedBytes: 3072, CompressedBytes: 3000, DockerBytes: 5 + 9}) || len(m.Layers) != 2 || m.Contents.FileCount != 2 || m.Contents.User != "10001" {
		t.Fatalf("measurement from a reading and a kept listing: %+v, missing %q", m, missing)
	}
	var listing layerListing
	if !loadKept(keptLayers, "sha256:new", &listing) || listing.UncompressedBytes != 2048 {
		t.Fatalf("the new listing was not kept: %+v", listing)
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
