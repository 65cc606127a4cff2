// Package measure reads what an image weighs and holds, from the image tarball the
// engine makes of it. In: a built image. Out: a Measurement: its sizes as podman,
// docker and a registry count them, its layers, its contents (user, shell, pip,
// setuid files, the largest directories, wasted bytes) and the parts its bytes are
// for. Layer listings are kept by diff ID, so an app edit unpacks only the new layer.
package measure

import (
	"context"
	"encoding/json"
	"fmt"

	"dagger.io/dagger"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/multistage/multistage/pipeline/failure"
	"github.com/multistage/multistage/pipeline/scripts"
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
	// Parts split UncompressedBytes by what the bytes are for; they add up to it.
	Parts Parts `json:"parts,omitzero"`
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
	// LayersRead counts the layers this measurement unpacked; the others' listings were
	// kept from an earlier reading of the same content.
	LayersRead int
	// listings are what each layer holds; the first baseLayers layers are the runtime
	// base's own. Parts reads them.
	listings   []layerListing
	baseLayers int
}

// Parts splits the image's SIZE by what the bytes are for (see Parts), knowing where
// the image keeps them.
func (m Measurement) Parts(places Places) Parts {
	return partsOf(m.listings, m.baseLayers, places)
}

// Reader measures images in the engine, in a container of base (which has Python).
type Reader struct {
	client  *dagger.Client
	scripts *scripts.Set
	base    *dagger.Container
	volume  string
}

// New is a reader that runs measure.py in base, the image's runtime base: it has
// Python, and its layers, being the image's first, say which layers are the base's own.
func New(client *dagger.Client, helpers *scripts.Set, base *dagger.Container) *Reader {
	return &Reader{client: client, scripts: helpers, base: base, volume: measureVolume}
}

// WithVolume keeps the layer listings in the engine volume name instead of the
// shared one: a reading with nothing kept, which unpacks every layer (tests).
func (r *Reader) WithVolume(name string) *Reader {
	copied := *r
	copied.volume = name
	return &copied
}

// measureVolume keeps layer listings in the engine, by diff ID, across runs and
// clients (a module's function has no disk of its own that outlives the call).
const measureVolume = "multistage-measure-" + measureVersion

// Measure sizes image and reads its layers and contents, from the tarball the engine
// makes of it, where the engine made it: a container of the runtime base reads it
// in place, so its tens of megabytes are not sent to the client. The engine caches
// the reading with the image (a warm run reads nothing), and keeps each layer's
// listing, so after an app edit only the new layer is unpacked.
func (r *Reader) Measure(ctx context.Context, image *dagger.Container) (Measurement, error) {
	// scripts/measure.py reads the image tarball inside the engine (it says what it writes).
	out, err := r.scripts.Mount(r.base).
		WithMountedFile("/measure/image.tar", ImageTarball(image)).
		// The base's tarball says which of the image's layers are the base's own (the
		// engine has its gzip layers already, from the images built on it).
		WithMountedFile("/measure/base.tar", ImageTarball(r.base)).
		WithMountedCache("/measure/kept", r.client.CacheVolume(r.volume)).
		// The base ships no bytecode: keep what this reading compiles (~0.1 s of CPU) for the next.
		WithMountedCache("/measure/pycache", r.client.CacheVolume("multistage-measure-pycache")).
		// -I: nothing from the base's environment (PYTHON* variables) changes the reading.
		// The reading goes to a file measure.py writes: an exec's stdout reaches the
		// client's progress output even when redirected, and a reading is megabytes.
		WithExec(scripts.Command([]string{"python", "-I", "-X", "pycache_prefix=/measure/pycache"}, "measure.py", "/measure/image.tar", "/measure/kept", "/tmp/reading.json", "/measure/base.tar")).
		File("/tmp/reading.json").
		Contents(ctx)
	if err != nil {
		return Measurement{}, fmt.Errorf("reading the image tarball: %s", failure.Line(err))
	}
	var reading engineReading
	if err := json.Unmarshal([]byte(out), &reading); err != nil {
		return Measurement{}, fmt.Errorf("unreadable image reading: %w", err)
	}
	return reading.measurement(), nil
}

// engineReading is what measure.py writes.
type engineReading struct {
	TarballBytes int64  `json:"tarballBytes"`
	User         string `json:"user"`
	Layers       []struct {
		Digest          string       `json:"digest"`
		CompressedBytes int64        `json:"compressedBytes"`
		Listing         layerListing `json:"listing"`
	} `json:"layers"`
	Listed     int `json:"listed"`
	BaseLayers int `json:"baseLayers"`
}

// measurement turns a reading into the figures the report shows.
func (r engineReading) measurement() Measurement {
	layers := make([]Layer, len(r.Layers))
	listings := make([]layerListing, len(r.Layers))
	for i, layer := range r.Layers {
		layers[i] = Layer{Digest: layer.Digest, CompressedBytes: layer.CompressedBytes}
		listings[i] = layer.Listing
	}
	m := measurementOf(r.User, layers, listings)
	m.Sizes.CompressedBytes = r.TarballBytes
	m.LayersRead = r.Listed
	m.baseLayers = r.BaseLayers
	return m
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
	m.listings = listings
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
