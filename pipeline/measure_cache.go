package pipeline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
)

// measureCacheDir keeps measurements by the content digest of an image's tarball:
// $MULTISTAGE_MEASURE_CACHE, else the user's cache directory ("" when there is none).
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
const measureVersion = "v1"

func measurementPath(digest string) string {
	dir := measureCacheDir()
	if dir == "" || digest == "" {
		return ""
	}
	return filepath.Join(dir, measureVersion, strings.NewReplacer(":", "-", "/", "-").Replace(digest)+".json")
}

// loadMeasurement returns the measurement of the tarball with this digest, if kept.
func loadMeasurement(digest string) (Measurement, bool) {
	path := measurementPath(digest)
	if path == "" {
		return Measurement{}, false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Measurement{}, false
	}
	var m Measurement
	if json.Unmarshal(data, &m) != nil || m.Sizes.UncompressedBytes == 0 {
		return Measurement{}, false
	}
	return m, true
}

// saveMeasurement keeps a measurement; a cache that cannot be written is only slower.
func saveMeasurement(digest string, m Measurement) {
	path := measurementPath(digest)
	if path == "" || os.MkdirAll(filepath.Dir(path), 0o755) != nil {
		return
	}
	data, err := json.Marshal(m)
	if err != nil {
		return
	}
	_ = writeAtomically(path, func(tmp string) error { return os.WriteFile(tmp, data, 0o644) })
}
