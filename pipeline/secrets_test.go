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
	"github.com/multistage/multistage/pipeline/bench"
	"github.com/multistage/multistage/pipeline/export"
	"github.com/multistage/multistage/pipeline/recipe"
)

// privateIndex is http.server's directory listing behind Basic authentication: a
// request without the credential gets 401, as from a private index.
const privateIndex = `import base64, functools, http.server, os
want = "Basic " + base64.b64encode(os.environ["INDEX_CREDENTIAL"].encode()).decode()
class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.headers.get("Authorization") != want:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="index"')
            self.end_headers()
            return
        super().do_GET()
http.server.ThreadingHTTPServer(("0.0.0.0", 8080), functools.partial(Handler, directory="/index")).serve_forever()
`

// simpleIndex serves the kit's wheels as a PEP 503 index (one directory per project,
// listed by http.server) from a container, as a private index would be: only to
// requests that carry credential.
func simpleIndex(t *testing.T, client *dagger.Client, runtime *dagger.Container, wheels, credential string) *dagger.Service {
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
		WithEnvVariable("INDEX_CREDENTIAL", credential).
		WithExposedPort(8080).
		AsService(dagger.ContainerAsServiceOpts{Args: []string{"python", "-c", privateIndex}})
}

// TestIndexCredentialLeavesNoTrace builds every variant from a private index with a
// distinctive credential, exports the images, and scans every layer, every config and
// the report for it.
func TestIndexCredentialLeavesNoTrace(t *testing.T) {
	client := testenv.Client(t)
	k := testenv.Kit(t)
	secret := fmt.Sprintf("multistage-canary-%d", time.Now().UnixNano())
	runtime := client.Container().Import(client.Host().File(k.Runtime))
	index := simpleIndex(t, client, runtime, k.Wheels, "ci-user:"+secret)
	options := func(credential *dagger.Secret) pipeline.Options {
		return pipeline.Options{
			Options: recipe.Options{
				BuilderBase:        client.Container().Import(client.Host().File(k.Builder)),
				RuntimeBase:        runtime,
				App:                client.Host().Directory(sampleApp),
				PipIndexURL:        "http://index:8080/simple",
				PipIndexCredential: credential,
				PipIndexServices:   map[string]*dagger.Service{"index": index},
			},
		}
	}
	// The index refuses whoever does not bring the credential: a dropped credential
	// would fail the build, not pass unnoticed.
	anonymous, err := pipeline.New(context.Background(), client, options(nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := anonymous.Recipes().Builder().Sync(context.Background()); err == nil {
		t.Fatal("the index served an install without the credential")
	}
	p, err := pipeline.New(context.Background(), client, options(client.SetSecret("canary", "ci-user:"+secret)))
	if err != nil {
		t.Fatal(err)
	}
	compared, built := p.Compare(context.Background())
	for _, img := range compared.Images {
		if img.ExpectedToPass && !img.Check.Passed {
			t.Fatalf("%s did not pass when installed from the index: %+v %s", img.Variant, img.Check, img.Error)
		}
	}
	dir := t.TempDir()
	files, err := export.WriteExport(context.Background(), compared, built, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".tar") {
			if found := scanImage(t, f, secret); len(found) > 0 {
				t.Errorf("the credential is in %v", found)
			}
			// The scanner does find what is there: the app's own answer.
			if found := scanImage(t, f, bench.SampleAppBody); len(found) == 0 {
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
