package pipeline

import "testing"

func TestMeasurementsAreKeptByDigest(t *testing.T) {
	t.Setenv("MULTISTAGE_MEASURE_CACHE", t.TempDir())
	want := Measurement{
		Sizes:    Sizes{UncompressedBytes: 117_523_456, CompressedBytes: 42_008_576},
		Layers:   []Layer{{Digest: "sha256:ab", CompressedBytes: 1, UncompressedBytes: 2}},
		Contents: Contents{User: "10001:10001", FileCount: 7, Shell: []string{}},
	}
	if _, ok := loadMeasurement("sha256:feed"); ok {
		t.Fatal("found a measurement never kept")
	}
	saveMeasurement("sha256:feed", want)
	got, ok := loadMeasurement("sha256:feed")
	if !ok || got.Sizes != want.Sizes || got.Layers[0] != want.Layers[0] || got.Contents.User != want.Contents.User || got.Contents.FileCount != 7 {
		t.Fatalf("got %+v, %v", got, ok)
	}
	if _, ok := loadMeasurement("sha256:other"); ok {
		t.Fatal("another digest found this measurement")
	}
	t.Setenv("MULTISTAGE_MEASURE_CACHE", "/dev/null/nope")
	saveMeasurement("sha256:x", want) // an unwritable cache is only slower
}
