package main

import (
	"context"
	"fmt"
	"os"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline"
	"github.com/multistage/multistage/pipeline/export"
	"github.com/multistage/multistage/pipeline/report"
)

// CompareCmd builds, checks and measures every variant.
type CompareCmd struct {
	AppFlags
	Format string `default:"table" enum:"table,json,markdown,html" env:"MULTISTAGE_FORMAT" help:"Report format: table, json, markdown (a Mermaid chart of the sizes, then tables) or html (one self-contained page)."`
	Export string `env:"MULTISTAGE_EXPORT" help:"Also write every image as a tarball and the report files into this directory."`
	Force  bool   `help:"Let --export replace files of the same name."`
	// VerifyReproducible is compare's own: the other commands build once.
	VerifyReproducible bool `env:"MULTISTAGE_VERIFY_REPRODUCIBLE" help:"Build each variant a second time, every step run again, and report whether the layers came out the same (or the first file that differs)."`
	BudgetFlags
}

// BudgetFlags are the size budgets a run must keep.
type BudgetFlags struct {
	MaxSize      []string `env:"MULTISTAGE_MAX_SIZE" placeholder:"VARIANT=SIZE" help:"Fail when VARIANT is larger than SIZE unpacked, e.g. multi-stage=150MB (repeatable)."`
	MinReduction string   `env:"MULTISTAGE_MIN_REDUCTION" placeholder:"PERCENT" help:"Fail when multi-stage saves less than PERCENT against single-stage."`
	MaxWaste     string   `env:"MULTISTAGE_MAX_WASTE" placeholder:"SIZE" help:"Fail when any image wastes more than SIZE in overwritten or deleted files."`
}

func (b BudgetFlags) parse() (report.Budgets, error) {
	return report.ParseBudgets(b.MaxSize, b.MinReduction, b.MaxWaste)
}

// Run prints the report; it fails when a check expected to pass did not.
func (c *CompareCmd) Run(ctx context.Context) error {
	budgets, err := c.BudgetFlags.parse()
	if err != nil {
		return err
	}
	if c.Export != "" {
		// After withPipeline has closed the client: an interrupted export's files go too.
		defer export.RemoveTemporaryFiles(c.Export)
	}
	own := func(o *pipeline.Options) { o.VerifyReproducible = c.VerifyReproducible }
	return withPipeline(ctx, "compare", c.AppFlags, own, func(ctx context.Context, _ *dagger.Client, p *pipeline.Pipeline) error {
		compared, built := p.Compare(ctx)
		compared.ApplyBudgets(budgets)
		text, err := compared.Render(c.Format)
		if err != nil {
			return err
		}
		fmt.Print(text)
		if c.Export != "" {
			files, err := export.WriteExport(ctx, compared, built, c.Export, c.Force)
			if err != nil {
				return err
			}
			for _, f := range files {
				fmt.Fprintln(os.Stderr, "wrote", f)
			}
		}
		if !compared.OK {
			return fmt.Errorf("%w: %s", errChecksFailed, compared.Verdict())
		}
		return nil
	})
}
