package measure

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/multistage/multistage/internal/atomicfile"
)

// The Go reader of exported tarballs (ReadLayers, InspectImage) keeps each layer's
// listing on disk by diff ID: the same bytes list the same, so a layer shared by
// several tarballs (the base) is read once. (Measure keeps its listings in the engine.)

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
const measureVersion = "v4" // v4: entries' stream bytes and link targets, for the parts of SIZE

// keptLayers is the kind of kept measurement the Go reader of exported tarballs keeps.
const keptLayers = "layers"

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
	_ = atomicfile.Write(path, func(tmp string) error { return os.WriteFile(tmp, data, 0o644) })
}

// digestLocks lets one goroutine read a layer that several images share (the base)
// while the others wait for its listing.
var digestLocks sync.Map

func lockDigest(digest string) (unlock func()) {
	mu, _ := digestLocks.LoadOrStore(digest, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	return mu.(*sync.Mutex).Unlock
}
