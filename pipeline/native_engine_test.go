package pipeline_test

import (
	"context"
	"strings"
	"testing"

	"github.com/multistage/multistage/pipeline"
	"github.com/multistage/multistage/pipeline/recipe"
	"github.com/multistage/multistage/pipeline/report"
)

// compareVariants runs Compare on a testdata app with the given variants.
func compareVariants(t *testing.T, app string, change func(*pipeline.Options), variants ...string) *report.Report {
	t.Helper()
	p := kitPipeline(t, testdataDir(app), func(o *pipeline.Options) {
		o.Variants = variants
		if change != nil {
			change(o)
		}
	})
	compared, _ := p.Compare(context.Background())
	table, _ := compared.Render(report.FormatTable)
	t.Logf("report:\n%s", table)
	return compared
}

func carried(img report.ImageReport, soname string) *recipe.NativeLibrary {
	for i := range img.NativeLibraries {
		if img.NativeLibraries[i].Soname == soname {
			return &img.NativeLibraries[i]
		}
	}
	return nil
}

// Dependencies built from source by pip in the builder (sdists from the kit) link
// system libraries the slim runtime lacks: the production images carry them, the
// report names them, and the tutorial's single-stage recipe fails for pip's reason
// (no compiler, no pg_config) or serves without its C code, as it would for real.
func TestNativeDependenciesReachEveryProductionImage(t *testing.T) {
	cases := []struct {
		app, expect, soname, pkg string
		// singleStage is what the tutorial's recipe gives: a build failure naming
		// pip's reason, or an answer without the C code.
		singleStageError string
	}{
		{"psycopg2-app", "with libpq 1", "libpq.so.5", "libpq5", "pg_config executable not found"},
		{"pyyaml-app", "libyaml=True {'answer': 42}", "libyaml-0.so.2", "libyaml-0-2", `answered 200 "libyaml=False None"`},
	}
	for _, c := range cases {
		t.Run(c.app, func(t *testing.T) {
			compared := compareVariants(t, c.app, func(o *pipeline.Options) { o.Expect = c.expect },
				recipe.VariantSingleStage, recipe.VariantMultiStage, recipe.VariantMinimal)
			for _, variant := range []string{recipe.VariantMultiStage, recipe.VariantMinimal} {
				img := image(t, compared, variant)
				if !img.Check.Passed || !strings.Contains(img.Check.Body, c.expect) {
					t.Errorf("%s did not serve with its C code: %+v", variant, img.Check)
				}
				lib := carried(img, c.soname)
				if lib == nil || lib.Package != c.pkg || lib.Version == "" || lib.Bytes <= 0 || len(lib.NeededBy) == 0 {
					t.Errorf("%s: the report does not name %s from %s: %+v", variant, c.soname, c.pkg, img.NativeLibraries)
				}
			}
			single := image(t, compared, recipe.VariantSingleStage)
			if single.Check.Passed || !strings.Contains(single.Check.Error, c.singleStageError) {
				t.Errorf("single-stage: want its failure to say %q, got %+v", c.singleStageError, single.Check)
			}
			if len(single.NativeLibraries) != 0 {
				t.Errorf("single-stage is the tutorial's recipe and carries nothing: %+v", single.NativeLibraries)
			}
		})
	}
}

// Without the carrying, the link check names the library, the compiled module and
// where the library could come from, before any request; without the check as well,
// the app dies at import, as the images of the projects named in the issue did.
func TestWithoutCarryingTheLibraryIsNamedOrTheImportFails(t *testing.T) {
	compared := compareVariants(t, "psycopg2-app", func(o *pipeline.Options) { pipeline.WithoutCarrying(o, true) }, recipe.VariantMultiStage)
	check := image(t, compared, recipe.VariantMultiStage).Check
	want := "needs libpq.so.5: in the builder from libpq5 "
	if check.Passed || !strings.HasPrefix(check.Error, "psycopg2/_psycopg.cpython-") || !strings.Contains(check.Error, want) ||
		!strings.HasSuffix(check.Error, "; not in the runtime base") || check.Attempts != 0 {
		t.Errorf("want the link check to fail first, naming %q, got %+v", want, check)
	}

	compared = compareVariants(t, "psycopg2-app", func(o *pipeline.Options) { pipeline.WithoutCarrying(o, false) }, recipe.VariantMultiStage)
	check = image(t, compared, recipe.VariantMultiStage).Check
	if check.Passed || !strings.Contains(strings.Join(check.Logs, "\n"), "ImportError: libpq.so.5: cannot open shared object file") {
		t.Errorf("want the app to die at import without its library, got %+v", check)
	}
}

// The sample app links nothing beyond the runtime base: nothing is carried, and
// multi-stage keeps its layers.
func TestTheSampleAppCarriesNoNativeLibrary(t *testing.T) {
	compared, _ := compareSample(t)
	for _, img := range compared.Images {
		if len(img.NativeLibraries) != 0 {
			t.Errorf("%s carries %+v", img.Variant, img.NativeLibraries)
		}
	}
}

// A library the app loads by name (ctypes) is invisible to the loader: named with
// RuntimeLibs, it is carried with what it links, and ctypes finds it in the image.
func TestARuntimeLibraryNamedByTheUserIsCarried(t *testing.T) {
	app := appDir(t, map[string]string{
		"requirements.txt": "",
		"app.py": `import ctypes, ctypes.util, http.server
yaml = ctypes.CDLL("libyaml-0.so.2")
yaml.yaml_get_version_string.restype = ctypes.c_char_p
body = b"libyaml " + yaml.yaml_get_version_string()
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(body)
http.server.HTTPServer(("0.0.0.0", 5000), Handler).serve_forever()
`,
	})
	p := kitPipeline(t, app, func(o *pipeline.Options) {
		o.RuntimeLibs = []string{"libyaml-0.so.2"}
		o.Expect = "libyaml 0."
		o.Variants = []string{recipe.VariantMultiStage, recipe.VariantMinimal}
	})
	compared, _ := p.Compare(context.Background())
	for _, img := range compared.Images {
		lib := carried(img, "libyaml-0.so.2")
		if !img.Check.Passed || lib == nil || lib.NeededBy[0] != "--runtime-lib libyaml-0.so.2" {
			t.Errorf("%s: want libyaml carried for ctypes and the app serving, got %+v %+v", img.Variant, img.Check, img.NativeLibraries)
		}
	}
}
