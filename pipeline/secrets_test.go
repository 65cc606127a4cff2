package pipeline_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"dagger.io/dagger"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/multistage/multistage/internal/testenv"
	"github.com/multistage/multistage/pipeline"
)

// simpleIndex serves the kit's wheels as a PEP 503 index (one directory per project,
// listed by http.server) from a container, as a private index would be.
func simpleIndex(t *testing.T, client *dagger.Client, runtime *dagger.Container, wheels string) *dagger.Service {
	t.Helper()
	index := client.Directory()
	files, _ := filepath.Glob(filepath.Join(wheels, "*.whl"))
	normalize := regexp.MustCompile(`[-_.]+`)
	for _, f := range files {
		project := strings.ToLower(normalize.ReplaceAllString(strings.SplitN(filepath.Base(f), "-", 2)[0], "-"))
		index = index.WithFile("simple/"+project+"/"+filepath.Base(f), client.Host().File(f))
	}
	return runtime.
		WithDirectory("/index", index).
		WithExposedPort(8080).
		AsService(dagger.ContainerAsServiceOpts{Args: []string{"python", "-m", "http.server", "8080", "--directory", "/index"}})
}

// TestIndexCredentialLeavesNoTrace builds every variant from a private index with a
// distinctive credential, exports the images, and scans every layer, every config and
// the report for it.
func TestIndexCredentialLeavesNoTrace(t *testing.T) {
	client := testenv.Client(t)
	k := testenv.Kit(t)
	secret := fmt.Sprintf("multistage-canary-%d", time.Now().UnixNano())
	runtime := client.Container().Import(client.Host().File(k.Runtime))
	p, err := pipeline.New(context.Background(), client, pipeline.Options{
		BuilderBase:        client.Container().Import(client.Host().File(k.Builder)),
		RuntimeBase:        runtime,
		App:                client.Host().Directory(sampleApp),
		PipIndexURL:        "http://index:8080/simple",
		PipIndexCredential: client.SetSecret("canary", "ci-user:"+secret),
		PipIndexServices:   map[string]*dagger.Service{"index": simpleIndex(t, client, runtime, k.Wheels)},
	})
	if err != nil {
		t.Fatal(err)
	}
	report, built := p.Compare(context.Background())
	for _, img := range report.Images {
		if img.ExpectedToPass && !img.Check.Passed {
			t.Fatalf("%s did not pass when installed from the index: %+v %s", img.Variant, img.Check, img.Error)
		}
	}
	dir := t.TempDir()
	files, err := pipeline.WriteExport(context.Background(), report, built, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".tar") {
			if found := scanImage(t, f, secret); len(found) > 0 {
				t.Errorf("the credential is in %v", found)
			}
			// The scanner does find what is there: the app's own answer.
			if found := scanImage(t, f, pipeline.DefaultExpectedBody); len(found) == 0 {
				t.Errorf("%s: the scan did not even find app.py's text", f)
			}
		} else if data, _ := os.ReadFile(f); bytes.Contains(data, []byte(secret)) {
			t.Errorf("%s holds the credential", f)
		}
	}
}

// scanImage lists where needle occurs: the config, or files of an image tarball's layers.
func scanImage(t *testing.T, path, needle string) []string {
	t.Helper()
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	if bytes.Contains(cfg, []byte(needle)) {
		found = append(found, path+": config")
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for i, layer := range layers {
		content, err := layer.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(content)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(tr)
			if bytes.Contains(data, []byte(needle)) || strings.Contains(h.Name, needle) {
				found = append(found, fmt.Sprintf("%s: layer %d: %s", path, i, h.Name))
			}
		}
		content.Close()
	}
	return found
}
