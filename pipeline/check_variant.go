package pipeline

import (
	"context"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline/check"
	"github.com/multistage/multistage/pipeline/failure"
	"github.com/multistage/multistage/pipeline/recipe"
)

// Check checks image, the named variant's: its compiled modules' libraries resolve,
// then it is started as a Dagger service on the configured port and asked the probe
// through a tunnel from this client until it answers as the probe wants, giving up at
// the check timeout. The request runs every time (no cached result). On failure it
// adds the app's last log lines.
func (p *Pipeline) Check(ctx context.Context, name string, image *dagger.Container) check.Result {
	defer p.recipes.Recorded()
	variant, err := recipe.VariantNamed(name)
	if err != nil {
		return check.Result{Error: err.Error()}
	}
	// Build first: the timeout and the ready time are about serving, not building.
	if _, err := image.Sync(ctx); err != nil {
		return check.Result{Error: "the image did not build: " + failure.Describe(err)}
	}
	return p.checkVariant(ctx, variant, image)
}

// checkVariant checks a variant's built image. One expected to fail (the tutorial's
// recipe) is first run on its own for a few seconds: an app that exits in that time
// cannot serve, and that run's own output says why, with no service, tunnel and second
// run to start for it. One still running then gets the full check, which may pass.
func (p *Pipeline) checkVariant(ctx context.Context, variant recipe.Variant, image *dagger.Container) check.Result {
	if variant.Dependencies != nil && !p.opts.withoutLinkCheck {
		if err := p.checkVariantLinks(ctx, variant); err != nil {
			return check.Result{Error: err.Error()}
		}
	}
	if !variant.ExpectedToPass {
		if logs, exited := p.checker.ExitsEarly(ctx, image); exited {
			return check.Result{Error: check.AppExited, Logs: logs}
		}
	}
	return p.checker.Serving(ctx, image)
}

// checkVariantLinks resolves the compiled modules of the variant's image before the
// app (the same layers, so an app edit does not run it again).
func (p *Pipeline) checkVariantLinks(ctx context.Context, variant recipe.Variant) error {
	dependencies, err := variant.Dependencies(ctx, p.recipes)
	if err != nil {
		return err
	}
	return p.recipes.CheckLinks(ctx, dependencies)
}
