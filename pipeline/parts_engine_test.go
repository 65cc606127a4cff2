package pipeline_test

import (
	"context"
	"testing"

	"github.com/multistage/multistage/pipeline"
	"github.com/multistage/multistage/pipeline/recipe"
)

// A library the production images carry is its own part of their SIZE, in multi-stage
// (its own layer, under /usr/lib) and in minimal (one root, where the loader found
// it): the file and the link to it, and nothing of the base or the venv.
func TestCarriedLibrariesAreTheirOwnPart(t *testing.T) {
	app := appDir(t, map[string]string{
		"requirements.txt": "",
		"app.py": `import ctypes, http.server
yaml = ctypes.CDLL("libyaml-0.so.2")
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
http.server.HTTPServer(("0.0.0.0", 5000), Handler).serve_forever()
`,
	})
	p := kitPipeline(t, app, func(o *pipeline.Options) {
		o.RuntimeLibs = []string{"libyaml-0.so.2"}
		o.Variants = []string{recipe.VariantMultiStage, recipe.VariantMinimal}
	})
	compared, _ := p.Compare(context.Background())
	for _, img := range compared.Images {
		parts := img.Sizes.Parts
		lib := carried(img, "libyaml-0.so.2")
		if img.Error != "" || lib == nil {
			t.Fatalf("%s: not measured, or libyaml not carried: %s %+v", img.Variant, img.Error, img.NativeLibraries)
		}
		// The file, a header block and padding for it and one for its link.
		if parts.NativeLibraries < lib.Bytes || parts.NativeLibraries > lib.Bytes+4*512+10240 {
			t.Errorf("%s: native libraries part %d bytes, libyaml is %d", img.Variant, parts.NativeLibraries, lib.Bytes)
		}
		if parts.Total() != img.Sizes.UncompressedBytes {
			t.Errorf("%s: parts %+v add up to %d, SIZE is %d", img.Variant, parts, parts.Total(), img.Sizes.UncompressedBytes)
		}
		t.Logf("%s: %+v (libyaml %d bytes)", img.Variant, parts, lib.Bytes)
	}
}
