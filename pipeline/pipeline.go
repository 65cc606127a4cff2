// Package pipeline compares the ways of containerizing one Python web app. It only
// orchestrates: recipe makes each variant's image, check proves it serves, measure
// and inventory read what it weighs and holds, and report puts the results side by
// side. In: Options (the app directory among them). Out: a report and the built
// images, for a front (the Dagger module, the CLI) to print and export.
package pipeline

import (
	"context"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline/check"
	"github.com/multistage/multistage/pipeline/measure"
	"github.com/multistage/multistage/pipeline/recipe"
	"github.com/multistage/multistage/pipeline/scripts"
)

// Pipeline builds, checks and measures the variants of one app.
type Pipeline struct {
	opts    Options
	recipes *recipe.Recipes
	// scripts are the helper scripts every step runs, made once per pipeline.
	scripts *scripts.Set
	// checker proves that an image serves, with the recipes' probe.
	checker *check.Checker
	// measurer reads each image's tarball in the engine.
	measurer *measure.Reader
}

// New validates opts (after applying defaults), reads the app and prepares a pipeline.
func New(ctx context.Context, client *dagger.Client, opts Options) (*Pipeline, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	helpers := scripts.New(client)
	recipes, err := recipe.New(ctx, client, helpers, opts.Options)
	if err != nil {
		return nil, err
	}
	// The recipes' options in force: defaults applied, the plan's choices made.
	opts.Options = recipes.Options()
	return &Pipeline{
		opts:     opts,
		recipes:  recipes,
		scripts:  helpers,
		checker:  check.New(client, helpers, check.Spec{Port: opts.Port, Probe: recipes.Probe(), Timeout: opts.CheckTimeout}),
		measurer: measure.New(client, helpers, recipes.RuntimeBase()),
	}, nil
}

// ownMeasureVolume, when set, is where measure keeps its layer listings instead of
// its shared volume (tests that must see every layer read: UseOwnMeasureVolume).
var ownMeasureVolume string

// Options returns the options in force, defaults applied and the plan's choices made.
func (p *Pipeline) Options() Options { return p.opts }

// Recipes makes the images; a front that wants one stage's container asks it.
func (p *Pipeline) Recipes() *recipe.Recipes { return p.recipes }

// Build makes the image of the named variant.
func (p *Pipeline) Build(ctx context.Context, name string) (*dagger.Container, error) {
	defer p.recipes.Recorded() // the bases' digests remembered before the caller's session ends
	return p.recipes.Build(ctx, name)
}

// Measure sizes image and reads its layers and contents (measure.Reader.Measure).
func (p *Pipeline) Measure(ctx context.Context, image *dagger.Container) (measure.Measurement, error) {
	if ownMeasureVolume != "" {
		return p.measurer.WithVolume(ownMeasureVolume).Measure(ctx, image)
	}
	return p.measurer.Measure(ctx, image)
}
