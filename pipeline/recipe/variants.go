package recipe

import (
	"context"
	"fmt"
	"sort"

	"dagger.io/dagger"
)

// Variant names, as the module, the CLI and the report spell them.
const (
	VariantSingleStage = "single-stage"
	VariantMultiStage  = "multi-stage"
	VariantTutorial    = "tutorial"
	VariantMinimal     = "minimal"
)

// Variant is one way to containerize the app.
type Variant struct {
	Name        string
	Description string
	// ExpectedToPass is false for the tutorial's broken recipe: its failure is the point.
	ExpectedToPass bool
	Build          func(ctx context.Context, r *Recipes) (*dagger.Container, error)
	// Dependencies is the image before the app, whose compiled modules the check
	// resolves first; nil where there is nothing to resolve (the tutorial's recipe
	// carries no packages) or it was resolved while building (minimal's assembly).
	Dependencies func(ctx context.Context, r *Recipes) (*dagger.Container, error)
	// CarriesNative: the image carries the native libraries the venv links beyond
	// the runtime base (NativeLibraries), and the report lists them.
	CarriesNative bool
}

// Variants in report order.
var Variants = []Variant{
	{
		Name:           VariantSingleStage,
		Description:    "tutorial's single-stage recipe: slim base, requirements installed globally",
		ExpectedToPass: true,
		Build:          func(_ context.Context, r *Recipes) (*dagger.Container, error) { return r.SingleStage(), nil },
		Dependencies: func(_ context.Context, r *Recipes) (*dagger.Container, error) {
			return r.singleStageDependencies(), nil
		},
	},
	{
		Name:           VariantMultiStage,
		Description:    "builder installs into a venv; production gets the venv, the bytecode it imports and the app, runs as non-root",
		ExpectedToPass: true,
		Build:          func(ctx context.Context, r *Recipes) (*dagger.Container, error) { return r.Production(ctx) },
		Dependencies: func(ctx context.Context, r *Recipes) (*dagger.Container, error) {
			return r.productionDependencies(ctx)
		},
		CarriesNative: true,
	},
	{
		Name:           VariantMinimal,
		Description:    "only what the app needs on scratch: interpreter, pruned stdlib, linked libraries, venv, app; no shell, no pip",
		ExpectedToPass: true,
		Build: func(_ context.Context, r *Recipes) (*dagger.Container, error) {
			return r.Minimal(r.opts.KeepModules...), nil
		},
		CarriesNative: true,
	},
	{
		Name:           VariantTutorial,
		Description:    "tutorial's multi-stage recipe as written: copies only /app, so the packages stay behind",
		ExpectedToPass: false,
		Build:          func(_ context.Context, r *Recipes) (*dagger.Container, error) { return r.Tutorial(), nil },
	},
}

// VariantNamed finds a variant by name, or says which names exist.
func VariantNamed(name string) (Variant, error) {
	for _, v := range Variants {
		if v.Name == name {
			return v, nil
		}
	}
	return Variant{}, fmt.Errorf("unknown variant %q: use one of %s", name, VariantNames())
}

// VariantNames lists the variant names, sorted, for messages.
func VariantNames() []string {
	names := make([]string, 0, len(Variants))
	for _, v := range Variants {
		names = append(names, v.Name)
	}
	sort.Strings(names)
	return names
}

// Build makes the image of the named variant.
func (r *Recipes) Build(ctx context.Context, name string) (*dagger.Container, error) {
	variant, err := VariantNamed(name)
	if err != nil {
		return nil, err
	}
	return variant.Build(ctx, r)
}
