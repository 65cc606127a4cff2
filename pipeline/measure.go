package pipeline

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

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
	// DockerBytes is what `docker images` shows for the image: the bytes of the files
	// its layers unpack to (regular files, and links as their target's length; each
	// hard-linked file once; directories and tar headers not at all), as Docker's
	// overlay2 driver counts them.
	DockerBytes int64 `json:"dockerBytes"`
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

// measureScript reads an image tarball inside the engine (measure.py says what it prints).
//
//go:embed measure.py
var measureScript string

// Measure sizes image and reads its layers and contents, from the tarball the engine
// makes of it, where the engine made it: a container of the runtime base reads it
// in place, so its tens of megabytes are not sent to the client. What was measured
// before is kept by content digest: a warm run reads nothing, and after an app edit
// only the new layers are listed.
func (p *Pipeline) Measure(ctx context.Context, image *dagger.Container) (Measurement, error) {
	file := ImageTarball(image)
	digest, err := file.Digest(ctx, dagger.FileDigestOpts{ExcludeMetadata: true})
	if err != nil {
		return Measurement{}, fmt.Errorf("making the image tarball: %w", err)
	}
	if m, ok := loadMeasurement(digest); ok {
		return m, nil
	}
	m, err := p.measureInEngine(ctx, file)
	if err == nil {
		saveMeasurement(digest, m)
	}
	return m, err
}

// engineReading is what measure.py prints.
type engineReading struct {
	TarballBytes int64  `json:"tarballBytes"`
	User         string `json:"user"`
	Layers       []struct {
		Digest          string        `json:"digest"`
		DiffID          string        `json:"diffID"`
		CompressedBytes int64         `json:"compressedBytes"`
		Listing         *layerListing `json:"listing"`
	} `json:"layers"`
}

// measureInEngine reads the image tarball in a container, listing only the layers
// whose listings are not kept. A kept listing that cannot be read back (the cache was
// emptied meanwhile) is listed again in a second reading.
func (p *Pipeline) measureInEngine(ctx context.Context, file *dagger.File) (Measurement, error) {
	known := keptDigests(keptLayers)
	for attempt := 0; ; attempt++ {
		reading, err := p.readInEngine(ctx, file, known)
		if err != nil {
			return Measurement{}, err
		}
		m, missing := reading.measurement()
		if missing == "" {
			return m, nil
		}
		if attempt > 0 {
			return Measurement{}, fmt.Errorf("the listing kept for layer %s cannot be read", missing)
		}
		known = nil
	}
}

// readInEngine runs measure.py on the tarball in a container of the runtime base,
// telling it which diff IDs need no listing.
func (p *Pipeline) readInEngine(ctx context.Context, file *dagger.File, known []string) (engineReading, error) {
	out, err := p.runtimeBase().
		WithMountedFile("/measure/image.tar", file).
		WithNewFile("/measure/known", strings.Join(known, "\n")).
		// The base ships no bytecode: keep what this reading compiles (~0.1 s of CPU) for the next.
		WithMountedCache("/measure/pycache", p.client.CacheVolume("multistage-measure-pycache")).
		// -I: nothing from the base's environment (PYTHON* variables) changes the reading.
		WithExec([]string{"python", "-I", "-X", "pycache_prefix=/measure/pycache", "-c", measureScript, "/measure/image.tar", "/measure/known"},
			// To a file: a first reading lists every file of the base (hundreds of kB), which
			// the progress output of a client would otherwise print.
			dagger.ContainerWithExecOpts{RedirectStdout: "/tmp/reading.json"}).
		File("/tmp/reading.json").
		Contents(ctx)
	if err != nil {
		return engineReading{}, fmt.Errorf("reading the image tarball: %s", cleanEngineError(err))
	}
	var reading engineReading
	if err := json.Unmarshal([]byte(out), &reading); err != nil {
		return engineReading{}, fmt.Errorf("unreadable image reading: %w", err)
	}
	return reading, nil
}

// measurement keeps the new listings and puts the kept ones beside them. It names
// the diff ID of a kept listing that is gone, if any.
func (r engineReading) measurement() (Measurement, string) {
	layers := make([]Layer, len(r.Layers))
	listings := make([]layerListing, len(r.Layers))
	for i, layer := range r.Layers {
		if layer.Listing != nil {
			listings[i] = *layer.Listing
			keep(keptLayers, layer.DiffID, listings[i])
		} else if !loadKept(keptLayers, layer.DiffID, &listings[i]) || listings[i].UncompressedBytes == 0 {
			return Measurement{}, layer.DiffID
		}
		layers[i] = Layer{Digest: layer.Digest, CompressedBytes: layer.CompressedBytes}
	}
	m := measurementOf(r.User, layers, listings)
	m.Sizes.CompressedBytes = r.TarballBytes
	return m, ""
}

// measurementOf completes layers (digest and gzip size) with their listings' unpacked
// sizes, adds those up, and reports the contents the listings make.
func measurementOf(user string, layers []Layer, listings []layerListing) Measurement {
	var m Measurement
	for i, layer := range layers {
		layer.UncompressedBytes = listings[i].UncompressedBytes
		m.Layers = append(m.Layers, layer)
		m.Sizes.UncompressedBytes += layer.UncompressedBytes
		m.Sizes.DockerBytes += listings[i].fileBytes()
	}
	m.Contents = inspectListings(user, listings)
	return m
}

// readTarball reads the layers and contents of a docker-format image tarball.
func readTarball(path string) (Measurement, error) {
	image, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		return Measurement{}, fmt.Errorf("reading image tarball %s: %w", path, err)
	}
	cfg, err := image.ConfigFile()
	if err != nil {
		return Measurement{}, fmt.Errorf("reading the image's config: %w", err)
	}
	imageLayers, listings, err := listLayers(image, cfg)
	if err != nil {
		return Measurement{}, err
	}
	layers := make([]Layer, len(imageLayers))
	for i, layer := range imageLayers {
		digest, err := layer.Digest()
		if err != nil {
			return Measurement{}, err
		}
		compressed, err := layer.Size()
		if err != nil {
			return Measurement{}, err
		}
		layers[i] = Layer{Digest: digest.String(), CompressedBytes: compressed}
	}
	return measurementOf(cfg.Config.User, layers, listings), nil
}

// ReadLayers lists the layers of a docker-format image tarball, with their
// compressed size (from the manifest) and uncompressed size (counted by reading, or
// kept from an earlier reading of the same diff ID).
func ReadLayers(path string) ([]Layer, error) {
	m, err := readTarball(path)
	return m.Layers, err
}
