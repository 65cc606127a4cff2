package pipeline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Measurements are kept on disk by content digest: an image's by the digest of its
// tarball, a layer's listing by its diff ID. The same bytes measure the same, so a
// warm run reads them back, and after an app edit only the new layers are read.

// measureCacheDir is $MULTISTAGE_MEASURE_CACHE, else the user's cache directory
// ("" when there is none).
func measureCacheDir() string {
	if dir := os.Getenv("MULTISTAGE_MEASURE_CACHE"); dir != "" {
		return dir
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(cache, "multistage", "measurements")
}

// measureVersion changes whenever what Measure reads changes, so that measurements
// kept by an older version are not taken for new ones.
const measureVersion = "v3" // v3: symlink target lengths, for the size Docker shows

// Kinds of kept measurements.
const (
	keptImages = "images"
	keptLayers = "layers"
)

// keptDir is where measurements of a kind are kept ("" when there is no cache directory).
func keptDir(kind string) string {
	dir := measureCacheDir()
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, measureVersion, kind)
}

func keptPath(kind, digest string) string {
	dir := keptDir(kind)
	if dir == "" || digest == "" {
		return ""
	}
	return filepath.Join(dir, strings.NewReplacer(":", "-", "/", "-").Replace(digest)+".json")
}

// loadKept reads the measurement kept for digest into v, if there is one.
func loadKept(kind, digest string, v any) bool {
	path := keptPath(kind, digest)
	if path == "" {
		return false
	}
	data, err := os.ReadFile(path)
	return err == nil && json.Unmarshal(data, v) == nil
}

// keep writes a measurement; a cache that cannot be written is only slower.
func keep(kind, digest string, v any) {
	path := keptPath(kind, digest)
	if path == "" || os.MkdirAll(filepath.Dir(path), 0o755) != nil {
		return
	}
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	_ = writeAtomically(path, func(tmp string) error { return os.WriteFile(tmp, data, 0o644) })
}

// keptDigests lists the digests kept of a kind (their file names, turned back into
// "algorithm:hex").
func keptDigests(kind string) []string {
	dir := keptDir(kind)
	if dir == "" {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var digests []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".json"); ok {
			if algorithm, hex, ok := strings.Cut(name, "-"); ok {
				digests = append(digests, algorithm+":"+hex)
			}
		}
	}
	return digests
}

// loadMeasurement returns the measurement of the image tarball with this digest, if kept.
func loadMeasurement(digest string) (Measurement, bool) {
	var m Measurement
	if !loadKept(keptImages, digest, &m) || m.Sizes.UncompressedBytes == 0 {
		return Measurement{}, false
	}
	return m, true
}

func saveMeasurement(digest string, m Measurement) { keep(keptImages, digest, m) }

// digestLocks lets one goroutine read a layer that several images share (the base)
// while the others wait for its listing.
var digestLocks sync.Map

func lockDigest(digest string) (unlock func()) {
	mu, _ := digestLocks.LoadOrStore(digest, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	return mu.(*sync.Mutex).Unlock
}
