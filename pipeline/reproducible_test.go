package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/multistage/multistage/internal/testenv"
	"github.com/multistage/multistage/pipeline"
	"github.com/multistage/multistage/pipeline/export"
	"github.com/multistage/multistage/pipeline/recipe"
	"github.com/multistage/multistage/pipeline/report"
)

// exported builds variant with p, exports it as the CLI and the module do, and reads
// it back with go-containerregistry.
func exported(t *testing.T, p *pipeline.Pipeline, variant string) v1.Image {
	t.Helper()
	ctx := context.Background()
	image, err := p.Build(ctx, variant)
	if err != nil {
		t.Fatal(err)
	}
	path, err := export.WriteImage(ctx, variant, image, t.TempDir(), false, p.Options().SourceDateEpoch)
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func digests(t *testing.T, img v1.Image) (manifest, config string, layers []string) {
	t.Helper()
	m, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	c, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		d, _ := l.DiffID()
		layers = append(layers, d.String())
	}
	return m.String(), c.String(), layers
}

// TestSameInputsGiveTheSameImage builds each variant twice, the second time with
// every step run again (not from the engine's cache): the same manifest and config
// digests. After an app.py edit, only the app's layer differs.
func TestSameInputsGiveTheSameImage(t *testing.T) {
	testenv.Client(t)
	edited := copyTree(t, sampleApp)
	f, err := os.OpenFile(filepath.Join(edited, "app.py"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("\n# edited\n")
	f.Close()
	for _, variant := range []string{recipe.VariantSingleStage, recipe.VariantMultiStage, recipe.VariantMinimal} {
		t.Run(variant, func(t *testing.T) {
			first := exported(t, kitPipeline(t, sampleApp, nil), variant)
			again := exported(t, kitPipeline(t, sampleApp, func(o *pipeline.Options) { o.Rebuild = fmt.Sprint(time.Now().UnixNano()) }), variant)
			m1, c1, l1 := digests(t, first)
			m2, c2, l2 := digests(t, again)
			t.Logf("%s: manifest %s, config %s (first); %s, %s (rebuilt)", variant, m1, c1, m2, c2)
			if m1 != m2 || c1 != c2 {
				t.Errorf("rebuilt from the same inputs, %s changed: manifest %s -> %s, config %s -> %s\nlayers %v\n    -> %v", variant, m1, m2, c1, c2, l1, l2)
			}
			_, _, l3 := digests(t, exported(t, kitPipeline(t, edited, nil), variant))
			if variant == recipe.VariantMinimal {
				return // one layer: the edit is in it
			}
			var changed []int
			for i := range l1 {
				if i >= len(l3) || l1[i] != l3[i] {
					changed = append(changed, i)
				}
			}
			if len(l3) != len(l1) || len(changed) != 1 || changed[0] != len(l1)-1 {
				t.Errorf("%s: an app.py edit changed layers %v of %d (want only the last, the app's)", variant, changed, len(l1))
			}
		})
	}
}

// stampedPackage is a package whose build writes the time into it: a build that is
// not reproducible on purpose, which --verify-reproducible must name.
func stampedPackage(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"pyproject.toml": "[project]\nname = \"stamped\"\nversion = \"1.0\"\ndependencies = [\"flask\"]\n\n" +
			"[build-system]\nrequires = [\"setuptools>=61\"]\nbuild-backend = \"setuptools.build_meta\"\n",
		"setup.py": "import time\nfrom setuptools import setup\n" +
			"open('src/stamped/built.py', 'w').write('AT = %d\\n' % time.time_ns())\nsetup()\n",
		"src/stamped/__init__.py": "from flask import Flask\napp = Flask(__name__)\n\n@app.route('/')\ndef hello():\n    return 'Hello, Multi-Stage Build Python Application!'\n",
		"app.py":                  "from stamped import app\napp.run(host='0.0.0.0', port=5000)\n",
	}
	for name, content := range files {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestVerifyReproducibleSaysYesOrNamesTheFile: the sample app is reproducible in every
// variant; a package whose build writes the time is not, and the report names the file.
func TestVerifyReproducibleSaysYesOrNamesTheFile(t *testing.T) {
	testenv.Client(t)
	variants := func(o *pipeline.Options) {
		o.VerifyReproducible = true
		o.Variants = []string{recipe.VariantSingleStage, recipe.VariantMultiStage, recipe.VariantMinimal}
	}
	sample, _ := kitPipeline(t, sampleApp, variants).Compare(context.Background())
	stamped, _ := kitPipeline(t, stampedPackage(t), variants).Compare(context.Background())
	for _, image := range sample.Images {
		if r := image.Reproducible; r == nil || !r.Reproducible {
			t.Errorf("sample app, %s: %+v", image.Variant, r)
		}
	}
	for _, image := range stamped.Images {
		r := image.Reproducible
		if r == nil || r.Reproducible || r.Layer == 0 || !strings.Contains(r.Path+" "+strings.Join(r.Also, " "), "/stamped/built.py") {
			t.Errorf("stamped package, %s: %+v (want not reproducible, naming .../stamped/built.py)", image.Variant, r)
		}
	}
	table, _ := stamped.Render(report.FormatTable)
	t.Logf("stamped package:\n%s", table)
	table, _ = sample.Render(report.FormatTable)
	t.Logf("sample app:\n%s", table)
}
