package main

import (
	"context"
	"fmt"
	"os"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline"
)

// CompareCmd builds, checks and measures every variant.
type CompareCmd struct {
	AppFlags
	Format string `default:"table" enum:"table,json,markdown" env:"MULTISTAGE_FORMAT" help:"Report format: table, json or markdown."`
	Export string `env:"MULTISTAGE_EXPORT" help:"Also write every image as a tarball and the report files into this directory."`
	Force  bool   `help:"Let --export replace files of the same name."`
}

// Run prints the report; it fails when a check expected to pass did not.
func (c *CompareCmd) Run(ctx context.Context) error {
	return withPipeline(ctx, c.AppFlags, func(_ *dagger.Client, p *pipeline.Pipeline) error {
		report, built := p.Compare(ctx)
		text, err := report.Render(c.Format)
		if err != nil {
			return err
		}
		fmt.Print(text)
		if c.Export != "" {
			files, err := pipeline.WriteExport(ctx, report, built, c.Export, c.Force)
			if err != nil {
				return err
			}
			for _, f := range files {
				fmt.Fprintln(os.Stderr, "wrote", f)
			}
		}
		if !report.OK {
			return errChecksFailed
		}
		return nil
	})
}
