package measure

import (
	"archive/tar"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// layerFile is one entry of a layer's tar stream: what the contents report needs.
type layerFile struct {
	Name string `json:"n"` // relative to /
	Type byte   `json:"t"` // tar type flag
	Size int64  `json:"s,omitempty"`
	Mode int64  `json:"m,omitempty"`
	// Link is a symbolic link's target length: its size on disk.
	Link int64 `json:"l,omitempty"`
	// Target is a symbolic link's target, followed to find a carried library's file.
	Target string `json:"k,omitempty"`
	// Stream is the entry's bytes in the layer's tar stream (its headers, data and
	// padding), kept only when they are not one header block and the data's blocks
	// (a PAX or GNU long-name header before it); see tarBytes.
	Stream int64 `json:"b,omitempty"`
}

// tarBlock is the tar format's block: headers take one each, data is padded to one.
const tarBlock = 512

// blocks is n bytes of data padded to whole tar blocks.
func blocks(n int64) int64 { return (n + tarBlock - 1) / tarBlock * tarBlock }

// tarBytes is what the entry takes in its layer's tar stream: what it adds to SIZE.
func (f layerFile) tarBytes() int64 {
	if f.Stream > 0 {
		return f.Stream
	}
	return tarBlock + blocks(f.Size)
}

// layerListing is what one layer holds, read once per diff ID and then kept.
type layerListing struct {
	// UncompressedBytes is the length of the layer's tar stream.
	UncompressedBytes int64       `json:"uncompressedBytes"`
	Files             []layerFile `json:"files"`
}

// listLayer reads a layer's tar stream, or returns what was read from the same
// content before (same diff ID, the digest of the uncompressed stream).
func listLayer(layer v1.Layer, diffID v1.Hash) (layerListing, error) {
	key := diffID.String()
	defer lockDigest(key)()
	var listing layerListing
	if loadKept(keptLayers, key, &listing) && listing.UncompressedBytes > 0 {
		return listing, nil
	}
	listing, err := readLayer(layer)
	if err != nil {
		return layerListing{}, err
	}
	keep(keptLayers, key, listing)
	return listing, nil
}

func readLayer(layer v1.Layer) (layerListing, error) {
	content, err := layer.Uncompressed()
	if err != nil {
		return layerListing{}, err
	}
	defer content.Close()
	counted := &countingReader{r: content}
	listing := layerListing{Files: []layerFile{}}
	// Where each entry starts in the stream: where the one before it ends, its data
	// padded to whole blocks (the reader has read up to the current entry's data).
	var starts []int64
	var end int64
	err = eachTarEntry(counted, func(h *tar.Header, name string) {
		file := layerFile{Name: name, Type: h.Typeflag, Size: h.Size, Mode: h.Mode}
		if h.Typeflag == tar.TypeSymlink {
			file.Link, file.Target = int64(len(h.Linkname)), h.Linkname
		}
		starts = append(starts, end)
		end = counted.n
		if h.Typeflag == tar.TypeReg {
			end += blocks(h.Size)
		}
		listing.Files = append(listing.Files, file)
	})
	if err != nil {
		return layerListing{}, fmt.Errorf("reading a layer: %w", err)
	}
	for i := range listing.Files {
		next := end
		if i+1 < len(starts) {
			next = starts[i+1]
		}
		if span := next - starts[i]; span != tarBlock+blocks(listing.Files[i].Size) {
			listing.Files[i].Stream = span
		}
	}
	// The tar reader stops at the end-of-archive marker; the padding after it counts too.
	if _, err := io.Copy(io.Discard, counted); err != nil {
		return layerListing{}, err
	}
	listing.UncompressedBytes = counted.n
	return listing, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// listLayers lists every layer of image, in order. The diff IDs come from the
// image's config (cfg): asking a compressed layer for its own would unpack it.
func listLayers(image v1.Image, cfg *v1.ConfigFile) ([]v1.Layer, []layerListing, error) {
	layers, err := image.Layers()
	if err != nil {
		return nil, nil, fmt.Errorf("reading the image's layers: %w", err)
	}
	if len(cfg.RootFS.DiffIDs) != len(layers) {
		return nil, nil, fmt.Errorf("the image has %d layers and %d diff IDs", len(layers), len(cfg.RootFS.DiffIDs))
	}
	listings := make([]layerListing, len(layers))
	for i, layer := range layers {
		if listings[i], err = listLayer(layer, cfg.RootFS.DiffIDs[i]); err != nil {
			return nil, nil, err
		}
	}
	return layers, listings, nil
}

// fileBytes is what the layer's files take once unpacked, as Docker's overlay2 driver
// sizes a layer: regular files' sizes and links' target lengths. A hard link is the
// same file again, and directories, devices and whiteouts count nothing.
func (l layerListing) fileBytes() int64 {
	var n int64
	for _, f := range l.Files {
		switch f.Type {
		case tar.TypeReg:
			n += f.Size
		case tar.TypeSymlink:
			n += f.Link
		}
	}
	return n
}
