package pipeline

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"dagger.io/dagger"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Sizes of one image, both measured by the engine from a tarball of the image.
type Sizes struct {
	// UncompressedBytes is the image tarball with uncompressed layers: what the
	// layers take once unpacked, as `podman images` and `docker images` count it.
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

// Measure sizes image both ways and reads its layers and contents back with
// go-containerregistry.
func (p *Pipeline) Measure(ctx context.Context, image *dagger.Container) (Measurement, error) {
	compressed := ImageTarball(image)
	// The same bytes measure the same: a warm run finds them by the tarball's digest.
	digest, err := compressed.Digest(ctx, dagger.FileDigestOpts{ExcludeMetadata: true})
	if err == nil {
		if m, ok := loadMeasurement(digest); ok {
			return m, nil
		}
	}
	m, err := measure(ctx, image, compressed)
	if err == nil && digest != "" {
		saveMeasurement(digest, m)
	}
	return m, err
}

// measure sizes the image both ways and reads its tarball back.
func measure(ctx context.Context, image *dagger.Container, compressed *dagger.File) (Measurement, error) {
	uncompressed := image.AsTarball(dagger.ContainerAsTarballOpts{
		ForcedCompression: dagger.ImageLayerCompressionUncompressed,
		MediaTypes:        dagger.ImageMediaTypesDockerMediaTypes,
	})
	var m Measurement
	n, err := uncompressed.Size(ctx)
	if err != nil {
		return m, fmt.Errorf("measuring the uncompressed image: %w", err)
	}
	m.Sizes.UncompressedBytes = int64(n)
	if n, err = compressed.Size(ctx); err != nil {
		return m, fmt.Errorf("measuring the compressed image: %w", err)
	}
	m.Sizes.CompressedBytes = int64(n)

	dir, err := os.MkdirTemp("", "multistage-measure-")
	if err != nil {
		return m, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "image.tar")
	if _, err := compressed.Export(ctx, path); err != nil {
		return m, fmt.Errorf("exporting the image tarball: %w", err)
	}
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		return m, fmt.Errorf("reading image tarball %s: %w", path, err)
	}
	if m.Layers, err = layersOf(img); err != nil {
		return m, err
	}
	if m.Contents, err = InspectImage(img); err != nil {
		return m, fmt.Errorf("reading the image's contents: %w", err)
	}
	return m, nil
}

// ReadLayers lists the layers of a docker-format image tarball, with their
// compressed size (from the manifest) and uncompressed size (counted by reading).
func ReadLayers(path string) ([]Layer, error) {
	image, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		return nil, fmt.Errorf("reading image tarball %s: %w", path, err)
	}
	return layersOf(image)
}

func layersOf(image v1.Image) ([]Layer, error) {
	layers, err := image.Layers()
	if err != nil {
		return nil, fmt.Errorf("reading the image's layers: %w", err)
	}
	out := make([]Layer, 0, len(layers))
	for _, layer := range layers {
		measured, err := measureLayer(layer)
		if err != nil {
			return nil, fmt.Errorf("reading a layer: %w", err)
		}
		out = append(out, measured)
	}
	return out, nil
}

func measureLayer(layer v1.Layer) (Layer, error) {
	digest, err := layer.Digest()
	if err != nil {
		return Layer{}, err
	}
	size, err := layer.Size()
	if err != nil {
		return Layer{}, err
	}
	content, err := layer.Uncompressed()
	if err != nil {
		return Layer{}, err
	}
	defer content.Close()
	unpacked, err := io.Copy(io.Discard, content)
	if err != nil {
		return Layer{}, err
	}
	return Layer{Digest: digest.String(), CompressedBytes: size, UncompressedBytes: unpacked}, nil
}
