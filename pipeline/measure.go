package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"dagger.io/dagger"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Sizes of one image, measured from the image tarball the engine makes.
type Sizes struct {
	// UncompressedBytes adds up the layers' unpacked tar streams: what the image
	// takes once unpacked, as `podman images` and `docker images` count it.
	UncompressedBytes int64 `json:"uncompressedBytes"`
	// CompressedBytes is the tarball with gzip layers: what a registry stores and a pull downloads.
	CompressedBytes int64 `json:"compressedBytes"`
}

// Layer is one layer of an image, read from its tarball.
type Layer struct {
	Digest            string `json:"digest"`
	CompressedBytes   int64  `json:"compressedBytes"`
	UncompressedBytes int64  `json:"uncompressedBytes"`
}

// ImageTarball is image as a tarball that both `docker load` and `podman load` take:
// Docker media types and gzip layers.
func ImageTarball(image *dagger.Container) *dagger.File {
	return image.AsTarball(dagger.ContainerAsTarballOpts{
		ForcedCompression: dagger.ImageLayerCompressionGzip,
		MediaTypes:        dagger.ImageMediaTypesDockerMediaTypes,
	})
}

// Measurement is everything Measure reads from one image.
type Measurement struct {
	Sizes    Sizes
	Layers   []Layer
	Contents Contents
}

// Measure sizes image and reads its layers and contents back with
// go-containerregistry, from the tarball the engine makes of it. What was measured
// before is kept by content digest: a warm run reads nothing, and after an app edit
// only the new layers are read.
func (p *Pipeline) Measure(ctx context.Context, image *dagger.Container) (Measurement, error) {
	file := ImageTarball(image)
	digest, err := file.Digest(ctx, dagger.FileDigestOpts{ExcludeMetadata: true})
	if err != nil {
		return Measurement{}, fmt.Errorf("making the image tarball: %w", err)
	}
	if m, ok := loadMeasurement(digest); ok {
		return m, nil
	}
	m, err := measureTarball(ctx, file)
	if err == nil {
		saveMeasurement(digest, m)
	}
	return m, err
}

// measureTarball exports the image tarball and reads it.
func measureTarball(ctx context.Context, file *dagger.File) (Measurement, error) {
	dir, err := os.MkdirTemp("", "multistage-measure-")
	if err != nil {
		return Measurement{}, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "image.tar")
	if _, err := file.Export(ctx, path); err != nil {
		return Measurement{}, fmt.Errorf("exporting the image tarball: %w", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return Measurement{}, err
	}
	m, err := readTarball(path)
	m.Sizes.CompressedBytes = info.Size()
	return m, err
}

// readTarball reads the layers and contents of a docker-format image tarball.
func readTarball(path string) (Measurement, error) {
	var m Measurement
	image, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		return m, fmt.Errorf("reading image tarball %s: %w", path, err)
	}
	cfg, err := image.ConfigFile()
	if err != nil {
		return m, fmt.Errorf("reading the image's config: %w", err)
	}
	layers, listings, err := listLayers(image, cfg)
	if err != nil {
		return m, err
	}
	for i, layer := range layers {
		digest, err := layer.Digest()
		if err != nil {
			return m, err
		}
		compressed, err := layer.Size()
		if err != nil {
			return m, err
		}
		m.Layers = append(m.Layers, Layer{Digest: digest.String(), CompressedBytes: compressed, UncompressedBytes: listings[i].UncompressedBytes})
		m.Sizes.UncompressedBytes += listings[i].UncompressedBytes
	}
	m.Contents = inspectListings(cfg.Config.User, listings)
	return m, nil
}

// ReadLayers lists the layers of a docker-format image tarball, with their
// compressed size (from the manifest) and uncompressed size (counted by reading, or
// kept from an earlier reading of the same diff ID).
func ReadLayers(path string) ([]Layer, error) {
	m, err := readTarball(path)
	return m.Layers, err
}
