package main

import (
	"archive/tar"
	"os"
	"path/filepath"
	"testing"
)

// writeArchive writes a tar of the given files (name, content), in order, with a big
// blob between them as an image archive has.
func writeArchive(t *testing.T, files ...[2]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "base.tar")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	for _, file := range files {
		if err := tw.WriteHeader(&tar.Header{Name: file[0], Mode: 0o644, Size: int64(len(file[1])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(file[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTarballBasesAreNamedByTheDigestTheirArchiveGives(t *testing.T) {
	blob := [2]string{"blobs/sha256/aaaa", string(make([]byte, 1<<20))}
	oci := writeArchive(t, blob, [2]string{"oci-layout", `{"imageLayoutVersion":"1.0.0"}`},
		[2]string{"index.json", `{"schemaVersion":2,"manifests":[{"digest":"sha256:0266","annotations":{"org.opencontainers.image.ref.name":"python:3.13-slim"}}]}`})
	if got, want := baseName(oci), "base.tar (manifest sha256:0266)"; got != want {
		t.Errorf("OCI archive: %q, want %q", got, want)
	}
	docker := writeArchive(t, [2]string{"manifest.json", `[{"Config":"blobs/sha256/08b6","RepoTags":["x:1"],"Layers":["blobs/sha256/aaaa"]}]`}, blob)
	if got, want := baseName(docker), "base.tar (image ID sha256:08b6)"; got != want {
		t.Errorf("docker archive: %q, want %q", got, want)
	}
	legacy := writeArchive(t, [2]string{"manifest.json", `[{"Config":"08b6.json","Layers":["aaaa/layer.tar"]}]`})
	if got, want := baseName(legacy), "base.tar (image ID sha256:08b6)"; got != want {
		t.Errorf("docker save archive: %q, want %q", got, want)
	}
	if got := baseName(writeArchive(t, blob)); got != "base.tar" {
		t.Errorf("an archive with no index: %q, want the file's name alone", got)
	}
	if got := baseName("python:3.13-slim"); got != "" {
		t.Errorf("a reference: %q, want none (the engine names it)", got)
	}
}
