package pipeline_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multistage/multistage/internal/fixture"
	"github.com/multistage/multistage/internal/testenv"
	"github.com/multistage/multistage/pipeline"
	"github.com/multistage/multistage/pipeline/failure"
	"github.com/multistage/multistage/pipeline/project"
	"github.com/multistage/multistage/pipeline/recipe"
	"github.com/multistage/multistage/pipeline/report"
)

// testProject is one of the test projects under testdata/, as people have them.
type testProject struct {
	dir    string
	format project.Format
	// installs names a module the project's own package provides (src layout), if any.
	installs string
}

var testProjects = []testProject{
	{"uv-app", project.FormatUV, ""},
	{"poetry-app", project.FormatPoetry, ""},
	{"pipenv-app", project.FormatPipenv, ""},
	{"pyproject-app", project.FormatPyproject, ""},
	{"src-package-app", project.FormatPyproject, "hello_pkg"},
	{"tools-only-pyproject-app", project.FormatRequirements, ""},
}

func testdataDir(name string) string { return filepath.Join(testenv.RepoRoot(), "testdata", name) }

// projectDir is a copy of a test project under testdata/ (a test may edit it), its
// locks rendered from the kit's wheels (internal/fixture): they pin the versions and
// sha256 of the wheels of the day, whatever Debian's point releases have made them.
func projectDir(t *testing.T, name string) string {
	t.Helper()
	wheelsDir := testenv.Kit(t).Wheels
	wheels, err := fixture.Wheels(wheelsDir)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), name)
	if err := fixture.RenderTree(testdataDir(name), dir, wheels); err != nil {
		t.Fatalf("rendering testdata/%s from the kit's wheels in %s: %v", name, wheelsDir, err)
	}
	return dir
}

// copyTree copies a test project into a fresh directory (so a test can edit it).
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestEveryProjectFormatBuildsAndServesInEveryVariant: each format's test project is
// read as that format, and every variant expected to pass serves its page; the
// tutorial's recipe still fails as written.
func TestEveryProjectFormatBuildsAndServesInEveryVariant(t *testing.T) {
	testenv.Client(t)
	for _, tp := range testProjects {
		t.Run(tp.dir, func(t *testing.T) {
			// One at a time: two cores, and each project starts four services.
			p := kitPipeline(t, projectDir(t, tp.dir), func(o *pipeline.Options) { o.Expect = "Hello from " + tp.dir + "!" })
			compared, built := p.Compare(context.Background())
			if compared.Project == nil || compared.Project.Format != tp.format {
				t.Fatalf("project read as %+v, want %s", compared.Project, tp.format)
			}
			for _, image := range compared.Images {
				if image.Check.Passed != image.ExpectedToPass {
					t.Errorf("%s: check passed=%t (%s), want %t; logs: %s", image.Variant, image.Check.Passed, image.Check.Error, image.ExpectedToPass, strings.Join(image.Check.Logs, " | "))
				}
			}
			table, _ := compared.Render(report.FormatTable)
			if !strings.Contains(table, "project: "+string(tp.format)) {
				t.Errorf("the report does not name the format:\n%s", table)
			}
			t.Logf("%s:\n%s", tp.dir, table)
			if tp.installs == "" {
				return
			}
			// The project itself is installed into the venv, so only /opt/venv crosses.
			for _, b := range built {
				if b.Variant.Name != recipe.VariantMultiStage {
					continue
				}
				out, err := b.Image.WithExec([]string{"python", "-c", "import " + tp.installs + ", sys; print(" + tp.installs + ".__file__)"}).Stdout(context.Background())
				if err != nil || !strings.HasPrefix(strings.TrimSpace(out), "/opt/venv/") {
					t.Errorf("multi-stage: %s not installed in the venv: %q %v", tp.installs, out, err)
				}
			}
		})
	}
}

// TestLockedDevGroupsAndForeignMarkersAreNotInstalled: pytest (a dev group) and
// colorama (Windows only) are locked but must not be in the image.
func TestLockedDevGroupsAndForeignMarkersAreNotInstalled(t *testing.T) {
	testenv.Client(t)
	for _, dir := range []string{"uv-app", "poetry-app", "pipenv-app"} {
		t.Run(dir, func(t *testing.T) {
			p := kitPipeline(t, projectDir(t, dir), nil)
			builder := p.Recipes().Builder()
			out, err := builder.WithExec([]string{"/opt/venv/bin/python", "-c",
				"import importlib.metadata as m; print(sorted(d.metadata['Name'].lower() for d in m.distributions()))"}).Stdout(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, "'flask'") || strings.Contains(out, "pytest") || strings.Contains(out, "colorama") {
				t.Errorf("installed: %s (want flask, no pytest, no colorama)", out)
			}
		})
	}
}

// TestEditingTheSourceReusesTheDependencyLayerForEveryFormat: after an app.py edit no
// pip install runs again (the engine answers them from its cache), for each format.
func TestEditingTheSourceReusesTheDependencyLayerForEveryFormat(t *testing.T) {
	testenv.Client(t)
	for _, tp := range testProjects {
		t.Run(tp.dir, func(t *testing.T) {
			dir := projectDir(t, tp.dir)
			pipInstalls(t, dir, buildMultiStage) // the cache holds the unedited build
			f, err := os.OpenFile(filepath.Join(dir, "app.py"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("\n# edited by " + t.Name() + "\n")
			f.Close()
			if ran, cached := pipInstalls(t, dir, buildMultiStage); ran != 0 || cached == 0 {
				t.Errorf("after an app.py edit %d pip installs ran (%d from the cache), want none", ran, cached)
			}
		})
	}
}

// TestLockedHashesAreChecked: a lock whose flask hash is not the wheel's fails the
// install with pip's hash error, in every format that records hashes.
func TestLockedHashesAreChecked(t *testing.T) {
	testenv.Client(t)
	wheels, _ := filepath.Glob(filepath.Join(testenv.Kit(t).Wheels, "flask-*.whl"))
	if len(wheels) != 1 {
		t.Fatalf("the kit has no single flask wheel: %v", wheels)
	}
	data, err := os.ReadFile(wheels[0])
	if err != nil {
		t.Fatal(err)
	}
	sum := fmt.Sprintf("%x", sha256.Sum256(data))
	for _, tp := range []struct{ dir, lock string }{{"uv-app", "uv.lock"}, {"poetry-app", "poetry.lock"}, {"pipenv-app", "Pipfile.lock"}} {
		t.Run(tp.dir, func(t *testing.T) {
			dir := projectDir(t, tp.dir)
			lock, _ := os.ReadFile(filepath.Join(dir, tp.lock))
			if !strings.Contains(string(lock), sum) {
				t.Fatalf("%s does not carry the kit's flask wheel hash %s", tp.lock, sum)
			}
			wrong := strings.Repeat("0", len(sum))
			if err := os.WriteFile(filepath.Join(dir, tp.lock), []byte(strings.ReplaceAll(string(lock), sum, wrong)), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := kitPipeline(t, dir, nil).Recipes().Builder().Sync(context.Background())
			if err == nil || !strings.Contains(failure.Describe(err), "hash") {
				t.Fatalf("a wrong hash installed anyway: %v", err)
			}
			t.Logf("%s: %s", tp.lock, failure.Describe(err))
		})
	}
}
