package pipeline

import (
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
