package pipeline

import (
	"context"
	"sync"

	"dagger.io/dagger"
)

// Built is a variant's image, kept after Compare so a caller can export it.
type Built struct {
	Variant Variant
	Image   *dagger.Container
}

// Compare builds every variant, checks and measures each, and reports them side by
// side. Variants run concurrently; the engine shares their common steps. A failed
// check does not stop the others: it is in the report.
func (p *Pipeline) Compare(ctx context.Context) (*Report, []Built) {
	report := &Report{
		SchemaVersion: ReportSchemaVersion,
		PythonVersion: p.opts.PythonVersion,
		Port:          p.opts.Port,
		ExpectedBody:  p.opts.ExpectedBody,
		Images:        make([]ImageReport, len(Variants)),
	}
	built := make([]Built, len(Variants))
	var wg sync.WaitGroup
	for i, variant := range Variants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			report.Images[i], built[i] = p.evaluate(ctx, variant)
		}()
	}
	wg.Wait()
	report.finish()
	return report, built
}

// evaluate builds, checks and measures one variant.
func (p *Pipeline) evaluate(ctx context.Context, variant Variant) (ImageReport, Built) {
	image := ImageReport{Variant: variant.Name, Description: variant.Description, ExpectedToPass: variant.ExpectedToPass, Layers: []Layer{}}
	ctr, err := variant.Build(ctx, p)
	if err != nil {
		image.Error = err.Error()
		image.Check = CheckResult{Error: "not built: " + firstLine(err.Error())}
		return image, Built{Variant: variant}
	}
	var wg sync.WaitGroup
	var measureErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		image.Sizes, image.Layers, measureErr = p.Measure(ctx, ctr)
	}()
	image.Check = p.Check(ctx, ctr)
	wg.Wait()
	if measureErr != nil {
		image.Error = measureErr.Error()
	}
	if image.Layers == nil {
		image.Layers = []Layer{}
	}
	return image, Built{Variant: variant, Image: ctr}
}
