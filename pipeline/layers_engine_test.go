package pipeline_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/multistage/multistage/pipeline"
	"github.com/multistage/multistage/pipeline/recipe"
)

// countingRegistry is a registry in this process that counts the blobs pushed to it
// (each upload ends with a PUT on /blobs/uploads/), as a deploy's registry would see them.
func countingRegistry(t *testing.T) (host string, uploads *atomic.Int32) {
	uploads = new(atomic.Int32)
	registryHandler := registry.New()
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/uploads/") {
			uploads.Add(1)
		}
		registryHandler.ServeHTTP(w, r)
	}))
	t.Cleanup(server.Close)
	return strings.TrimPrefix(server.URL, "http://"), uploads
}

// exportedImage writes the variant's image as a tarball and reads it back.
func exportedImage(t *testing.T, p *pipeline.Pipeline, variant string) v1.Image {
	t.Helper()
	ctx := context.Background()
	image, err := p.Build(ctx, variant)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), variant+".tar")
	if _, err := image.Export(ctx, path); err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// An app edit changes the production images' app layer only, minimal's too: every
// other layer keeps its digest, and a registry that has the first push receives only
// the new app layer (and the new config) for the second.
func TestAnAppEditPushesOnlyTheAppLayer(t *testing.T) {
	for _, variant := range []string{recipe.VariantMultiStage, recipe.VariantMinimal} {
		t.Run(variant, func(t *testing.T) {
			app := copyTree(t, sampleApp)
			host, uploads := countingRegistry(t)
			ref, err := name.ParseReference(host+"/multistage/"+variant+":test", name.Insecure)
			if err != nil {
				t.Fatal(err)
			}

			before := exportedImage(t, kitPipeline(t, app, nil), variant)
			var f *os.File
			if err := remote.Write(ref, before); err != nil {
				t.Fatal(err)
			}
			firstPush := uploads.Load()

			// A copy of its own: the session would answer the same path from what it read.
			app = copyTree(t, app)
			f, err = os.OpenFile(filepath.Join(app, "app.py"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("\n# edited by " + t.Name() + "\n")
			f.Close()
			after := exportedImage(t, kitPipeline(t, app, nil), variant)
			if err := remote.Write(ref, after); err != nil {
				t.Fatal(err)
			}
			secondPush := uploads.Load() - firstPush

			beforeLayers, _ := before.Layers()
			afterLayers, _ := after.Layers()
			if len(beforeLayers) != len(afterLayers) || len(afterLayers) < 3 {
				t.Fatalf("layers: %d before, %d after the edit (want the same number, at least 3)", len(beforeLayers), len(afterLayers))
			}
			for i := range afterLayers {
				b, _ := beforeLayers[i].Digest()
				a, _ := afterLayers[i].Digest()
				last := i == len(afterLayers)-1
				if (a == b) == last {
					t.Errorf("layer %d of %d: digest %s before, %s after the edit (only the last, the app's, may change)", i+1, len(afterLayers), b, a)
				}
			}
			// The app layer and the config: nothing of the dependencies.
			t.Logf("%s: first push %d blobs, after the edit %d", variant, firstPush, secondPush)
			if secondPush != 2 {
				t.Errorf("after an app edit the registry received %d blobs, want 2 (the app layer and the config)", secondPush)
			}
		})
	}
}
