package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multistage/multistage/pipeline"
	"github.com/multistage/multistage/pipeline/failure"
	"github.com/multistage/multistage/pipeline/recipe"
)

// readLink prints, from inside an image, what a path is: the link's target and its
// own time (os.lstat), or why it is not a link. Every image has Python; minimal has no shell.
const readLink = `import os, sys
p = sys.argv[1]
print(os.readlink(p) if os.path.islink(p) else "not a link", int(os.lstat(p).st_mtime) if os.path.lexists(p) else "missing")`

// TestADanglingLinkInTheAppDirectoryStaysALink: an app directory holding a link that
// leads nowhere (a removed file's link, a checkout's link to a sibling repository) builds
// in every production variant, serves, and carries the link as a link, dated like the
// rest of the app.
func TestADanglingLinkInTheAppDirectoryStaysALink(t *testing.T) {
	app := appDir(t, stdlibOnlyApp)
	if err := os.Symlink("nowhere", filepath.Join(app, "broken")); err != nil {
		t.Fatal(err)
	}
	p := kitPipeline(t, app, func(o *pipeline.Options) { o.Expect = "stdlib only" })
	servesWithALink(t, p, "/app/broken", "nowhere", recipe.VariantSingleStage, recipe.VariantMultiStage, recipe.VariantMinimal)
}

// TestADanglingLinkInTheVenvStaysALink: a builder base that already has a venv at
// /opt/venv (images often do) with a link whose target a later layer removed; python
// -m venv keeps what is there, so the link is in the venv that crosses to production.
// Multi-stage and minimal (the variants with a venv) build, serve, and keep it as a link.
func TestADanglingLinkInTheVenvStaysALink(t *testing.T) {
	app := appDir(t, stdlibOnlyApp)
	p := kitPipeline(t, app, func(o *pipeline.Options) {
		o.Expect = "stdlib only"
		o.BuilderBase = o.BuilderBase.WithExec([]string{"sh", "-c", "mkdir -p /opt/venv/bin && ln -s ../lib/removed-tool/run /opt/venv/bin/removed-tool"})
	})
	servesWithALink(t, p, "/opt/venv/bin/removed-tool", "../lib/removed-tool/run", recipe.VariantMultiStage, recipe.VariantMinimal)
}

// servesWithALink builds each variant, checks that it serves, and that path in its
// image is still a link to target, dated 0.
func servesWithALink(t *testing.T, p *pipeline.Pipeline, path, target string, variants ...string) {
	t.Helper()
	for _, variant := range variants {
		t.Run(variant, func(t *testing.T) {
			ctx := context.Background()
			image, err := p.Build(ctx, variant)
			if err == nil {
				_, err = image.Sync(ctx)
			}
			if err != nil {
				t.Fatalf("%s does not build: %s", variant, failure.Describe(err))
			}
			if result := p.Check(ctx, variant, image); !result.Passed {
				t.Errorf("%s does not serve: %+v", variant, result)
			}
			out, err := image.WithExec([]string{"python", "-c", readLink, path}).Stdout(ctx)
			if err != nil || strings.TrimSpace(out) != target+" 0" {
				t.Errorf("%s: %s is %q (%v), want a link to %s dated 0", variant, path, out, err, target)
			}
		})
	}
}
