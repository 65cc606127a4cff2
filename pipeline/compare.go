package pipeline

import (
	"context"
	"slices"
	"sync"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline/check"
	"github.com/multistage/multistage/pipeline/export"
	"github.com/multistage/multistage/pipeline/failure"
	"github.com/multistage/multistage/pipeline/measure"
	"github.com/multistage/multistage/pipeline/recipe"
	"github.com/multistage/multistage/pipeline/report"
)

// Compare builds every variant, checks and measures each, and reports them side by
// side, every variant concurrently. A failed check does not stop the others: it is in the report.
func (p *Pipeline) Compare(ctx context.Context) (*report.Report, []export.Built) {
	variants := p.variants()
	compared := &report.Report{
		SchemaVersion:   report.SchemaVersion,
		PythonVersion:   p.opts.PythonVersion,
		Port:            p.opts.Port,
		Probe:           p.recipes.Probe(),
		Project:         p.recipes.Plan(),
		SourceDateEpoch: p.opts.SourceDateEpoch,
		AppSource:       p.recipes.AppSource(),
		Budgets:         []report.BudgetResult{},
		Images:          make([]report.ImageReport, len(variants)),
	}
	built := make([]export.Built, len(variants))
	for i, variant := range variants {
		compared.Images[i] = report.ImageReport{Variant: variant.Name, Description: variant.Description, ExpectedToPass: variant.ExpectedToPass, Layers: []measure.Layer{}}
		built[i] = export.Built{Variant: variant}
	}

	// Naming the bases asks the engine; it waits for nothing else, so it runs beside the variants.
	basesNamed := make(chan []recipe.BaseImage, 1)
	go func() { basesNamed <- p.recipes.Bases(ctx) }()
	// So is counting what the app directory left out; without it, the report says nothing of it.
	counted := make(chan error, 1)
	go func() { counted <- p.recipes.CountLeftOut(ctx) }()
	// Each variant goes on as soon as it is built. Checking and measuring read
	// different things (a running service, a tarball), so they run side by side.
	eachIndex(len(variants), func(i int) {
		image, err := buildSynced(ctx, p.recipes, variants[i])
		if err != nil {
			why := failure.Describe(err)
			compared.Images[i].Error = why
			compared.Images[i].Check = check.Result{Error: "not built: " + why}
			return
		}
		built[i].Image = image
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			compared.Images[i].Check = p.checkVariant(ctx, variants[i], image)
		}()
		// What the image holds (its SBOM, and the files the secret scan reads) is read
		// in the image itself, beside the check and the measure.
		var inventoryErr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			compared.Images[i].Secrets, compared.Images[i].SBOM, built[i].SBOM, inventoryErr = p.readInventory(ctx, variants[i], image)
		}()
		m, err := p.Measure(ctx, image)
		wg.Wait()
		if err == nil && inventoryErr != nil {
			err = inventoryErr
		}
		if err != nil {
			compared.Images[i].Error = failure.Line(err)
			return
		}
		compared.Images[i].Sizes, compared.Images[i].Layers, compared.Images[i].Contents = m.Sizes, m.Layers, &m.Contents
		if variants[i].CarriesNative {
			compared.Images[i].NativeLibraries = p.recipes.CarriedLibraries(ctx)
		}
		compared.Images[i].Sizes.Parts = m.Parts(placesOf(compared.Images[i].NativeLibraries))
		if p.opts.VerifyReproducible && variants[i].ExpectedToPass {
			verdict := p.verifyReproducible(ctx, variants[i], image, m)
			compared.Images[i].Reproducible = &verdict
		}
	})
	compared.Bases = <-basesNamed
	if err := <-counted; err != nil {
		compared.AppSource = nil
	}
	compared.Finish()
	// The bases' digests, remembered beside the build for a later outage, are written
	// before the session can end.
	p.recipes.Recorded()
	return compared, built
}

// buildSynced builds a variant's image in the engine, so that build errors surface here.
func buildSynced(ctx context.Context, recipes *recipe.Recipes, variant recipe.Variant) (*dagger.Container, error) {
	image, err := variant.Build(ctx, recipes)
	if err != nil {
		return nil, err
	}
	return image.Sync(ctx)
}

// variants are the variants this pipeline compares, in report order.
func (p *Pipeline) variants() []recipe.Variant {
	if len(p.opts.Variants) == 0 {
		return recipe.Variants
	}
	var chosen []recipe.Variant
	for _, v := range recipe.Variants {
		if slices.Contains(p.opts.Variants, v.Name) {
			chosen = append(chosen, v)
		}
	}
	return chosen
}

// eachIndex runs fn for every index below n concurrently and waits for all.
func eachIndex(n int, fn func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i)
		}()
	}
	wg.Wait()
}

// placesOf says where the production images keep what measure splits into parts.
func placesOf(native []recipe.NativeLibrary) measure.Places {
	places := measure.Places{App: recipe.AppPath, Venv: recipe.VenvPath}
	for _, lib := range native {
		places.Native = append(places.Native, lib.Path)
	}
	return places
}
