package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"dagger.io/dagger"
	"github.com/multistage/multistage/internal/testenv"
	"github.com/multistage/multistage/pipeline"
	"github.com/multistage/multistage/pipeline/recipe"
	"github.com/multistage/multistage/pipeline/report"
)

// junk is what a developer's app directory carries besides the app (env/ is a
// virtualenv by its pyvenv.cfg, whatever its name): each path with
// its size. None of it may reach an image.
var junk = map[string]int{
	"env/pyvenv.cfg":                  40,
	"env/lib/python3.13/big.so":       2_000_000,
	".git/HEAD":                       23,
	".git/objects/pack/pack-1.pack":   1_000_000,
	"__pycache__/app.cpython-313.pyc": 700,
	"tests/test_app.py":               300,
	"tests/fixtures.json":             123, // re-included by the .dockerignore's "!"
}

const dockerignore = ".git\nenv\n**/__pycache__\ntests/\n!tests/fixtures.json\n"

// messyApp is the sample app with junk around it (and a .dockerignore when given).
func messyApp(t *testing.T, ignore string) string {
	t.Helper()
	dir := copyTree(t, sampleApp)
	for path, size := range junk {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, path), []byte(strings.Repeat("x", size)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if ignore != "" {
		if err := os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte(ignore), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// appFiles lists /app in an image, read from its filesystem (no exec: minimal has no shell).
func appFiles(t *testing.T, image *dagger.Container) []string {
	t.Helper()
	files, err := image.Directory("/app").Glob(context.Background(), "**")
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func sizesByVariant(compared *report.Report) map[string]int64 {
	sizes := map[string]int64{}
	for _, image := range compared.Images {
		sizes[image.Variant] = image.Sizes.UncompressedBytes
	}
	return sizes
}

// TestTheAppDirectoryIsSentAsDockerWould: a .dockerignore (with a "!" exception) is
// honoured in every variant (and replaces the defaults: the Dockerfiles are sent),
// without one the defaults leave out .git, virtualenvs (found by pyvenv.cfg), caches
// and Dockerfiles, and the report counts what was left out.
func TestTheAppDirectoryIsSentAsDockerWould(t *testing.T) {
	testenv.Client(t)
	variants := func(o *pipeline.Options) {
		o.Variants = []string{recipe.VariantSingleStage, recipe.VariantMultiStage, recipe.VariantMinimal}
	}
	// The sample app loses its two Dockerfiles to the defaults (docker init's), no more.
	dockerfiles := map[string]int{}
	for _, name := range []string{"Dockerfile", "Dockerfile.multistage"} {
		info, err := os.Stat(filepath.Join(sampleApp, name))
		if err != nil {
			t.Fatal(err)
		}
		dockerfiles[name] = int(info.Size())
	}
	clean, _ := kitPipeline(t, sampleApp, variants).Compare(context.Background())
	if s := clean.AppSource; s == nil || s.Rule != "defaults" || s.LeftOutFiles != 2 || s.LeftOutBytes != int64(dockerfiles["Dockerfile"]+dockerfiles["Dockerfile.multistage"]) {
		t.Errorf("the sample app lost its Dockerfiles to the defaults, no more, yet the report says %+v", s)
	}

	cases := []struct {
		name, ignore string
		rule         string
		absent       []string
		present      []string
		leftOut      []string
	}{
		{"with .dockerignore", dockerignore, ".dockerignore",
			[]string{".git", "env", "__pycache__", "tests/test_app.py"}, []string{"tests/fixtures.json", ".dockerignore", "app.py", "Dockerfile"},
			[]string{"env/pyvenv.cfg", "env/lib/python3.13/big.so", ".git/HEAD", ".git/objects/pack/pack-1.pack", "__pycache__/app.cpython-313.pyc", "tests/test_app.py"}},
		{"defaults", "", "defaults",
			[]string{".git", "env", "__pycache__"}, []string{"tests/fixtures.json", "tests/test_app.py", "app.py"},
			[]string{"env/pyvenv.cfg", "env/lib/python3.13/big.so", ".git/HEAD", ".git/objects/pack/pack-1.pack", "__pycache__/app.cpython-313.pyc",
				"Dockerfile", "Dockerfile.multistage"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			compared, built := kitPipeline(t, messyApp(t, c.ignore), variants).Compare(context.Background())
			wantFiles, wantBytes := 0, int64(0)
			for _, path := range c.leftOut {
				wantFiles++
				wantBytes += int64(junk[path] + dockerfiles[path])
			}
			if s := compared.AppSource; s == nil || s.Rule != c.rule || s.LeftOutFiles != wantFiles || s.LeftOutBytes != wantBytes {
				t.Errorf("app source %+v, want rule %s, %d files, %d bytes left out", s, c.rule, wantFiles, wantBytes)
			}
			for _, b := range built {
				files := appFiles(t, b.Image)
				for _, path := range c.absent {
					if slices.ContainsFunc(files, func(f string) bool { return f == path || strings.HasPrefix(f, path+"/") }) {
						t.Errorf("%s carries %s: %v", b.Variant.Name, path, files)
					}
				}
				for _, path := range c.present {
					if !slices.Contains(files, path) {
						t.Errorf("%s lacks %s: %v", b.Variant.Name, path, files)
					}
				}
			}
			// What is left adds kilobytes to the clean app, not the megabytes left out.
			cleanSizes, sizes := sizesByVariant(clean), sizesByVariant(compared)
			for variant, size := range sizes {
				if delta := size - cleanSizes[variant]; delta <= 0 || delta > 16_000 {
					t.Errorf("%s: %d bytes against the clean app's %d (+%d), want a few kB more", variant, size, cleanSizes[variant], delta)
				}
			}
		})
	}
}

// TestEditingAnIgnoredFileChangesNoImage: a commit (a .git edit) reruns nothing and
// gives the same image.
func TestEditingAnIgnoredFileChangesNoImage(t *testing.T) {
	testenv.Client(t)
	dir := messyApp(t, "")
	digest := func() string {
		production, err := kitPipeline(t, dir, nil).Recipes().Production(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		d, err := production.Rootfs().Digest(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	before := digest()
	pipInstalls(t, dir, buildMultiStage)
	if err := os.WriteFile(filepath.Join(dir, ".git/HEAD"), []byte("ref: refs/heads/edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if after := digest(); after != before {
		t.Errorf("a .git edit changed the image: rootfs %s -> %s", before, after)
	}
	if ran, cached := pipInstalls(t, dir, buildMultiStage); ran != 0 || cached == 0 {
		t.Errorf("a .git edit ran %d pip installs (%d from the cache), want none", ran, cached)
	}
}
