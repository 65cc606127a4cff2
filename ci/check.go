package main

import (
	"context"
	"encoding/json"
	"fmt"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline"
)

// CheckCmd builds one variant and checks it.
type CheckCmd struct {
	AppFlags
	Variant string `arg:"" enum:"${variants}" help:"Variant to check: ${variants}."`
}

// Run prints the check result as JSON; it fails when the check fails.
func (c *CheckCmd) Run(ctx context.Context) error {
	return withPipeline(ctx, "check "+c.Variant, c.AppFlags, nil, func(ctx context.Context, _ *dagger.Client, p *pipeline.Pipeline) error {
		image, err := p.Build(ctx, c.Variant)
		if err != nil {
			return err
		}
		result := p.Check(ctx, c.Variant, image)
		out, _ := json.MarshalIndent(result, "", "  ")
		fmt.Println(string(out))
		if !result.Passed {
			return fmt.Errorf("%s: %w: %s", c.Variant, errChecksFailed, result.Error)
		}
		return nil
	})
}
