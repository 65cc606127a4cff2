package main

import (
	"context"
	"fmt"
	"os"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline"
	"github.com/multistage/multistage/pipeline/export"
	"github.com/multistage/multistage/pipeline/failure"
)

// BuildCmd builds one variant.
type BuildCmd struct {
	AppFlags
	Variant string `arg:"" enum:"${variants}" help:"Variant to build: ${variants}."`
	Export  string `env:"MULTISTAGE_EXPORT" help:"Write the image as <variant>.tar into this directory (docker load / podman load)."`
	Force   bool   `help:"Let --export replace a file of the same name."`
}

// Run builds the image and, with --export, writes its tarball.
func (c *BuildCmd) Run(ctx context.Context) error {
	if c.Export != "" {
		// After withPipeline has closed the client: an interrupted export's files go too.
		defer export.RemoveTemporaryFiles(c.Export)
	}
	return withPipeline(ctx, "build "+c.Variant, c.AppFlags, nil, func(ctx context.Context, _ *dagger.Client, p *pipeline.Pipeline) error {
		image, err := p.Build(ctx, c.Variant)
		if err != nil {
			return err
		}
		if c.Export == "" {
			if _, err := image.Sync(ctx); err != nil {
				return fmt.Errorf("building %s: %s", c.Variant, failure.Describe(err))
			}
			fmt.Println("built", c.Variant)
			return nil
		}
		path, err := export.WriteImage(ctx, c.Variant, image, c.Export, c.Force, p.Options().SourceDateEpoch)
		if err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, "wrote", path)
		return nil
	})
}
