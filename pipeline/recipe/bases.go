package recipe

import (
	"context"
	"fmt"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline/failure"
)

// BaseImage is one base the pipeline used, as the report records it.
type BaseImage struct {
	Role string `json:"role"` // "builder" or "runtime"
	// Ref is the registry reference with its digest, or what the caller named for a
	// base it gave as a container (for example a tarball and its sha256).
	Ref string `json:"ref"`
}

// pinBases resolves the official bases to their digests once, so that every stage
// of every variant uses the same image even if a tag moves during the run.
func (p *Recipes) pinBases(ctx context.Context) error {
	if p.opts.BuilderBase == nil {
		ref, err := p.builderBase().ImageRef(ctx)
		if err != nil {
			return fmt.Errorf("resolving the builder base python:%s: %s", p.opts.PythonVersion, failure.Line(err))
		}
		p.opts.BuilderBase, p.opts.BuilderBaseName = p.client.Container().From(ref), ref
	}
	if p.opts.RuntimeBase == nil {
		ref, err := p.runtimeBase().ImageRef(ctx)
		if err != nil {
			return fmt.Errorf("resolving the runtime base python:%s-slim: %s", p.opts.PythonVersion, failure.Line(err))
		}
		p.opts.RuntimeBase, p.opts.RuntimeBaseName = p.client.Container().From(ref), ref
	}
	return nil
}

// Bases says which bases this pipeline builds from, with digests where a registry gives them.
func (p *Recipes) Bases(ctx context.Context) []BaseImage {
	return []BaseImage{
		{Role: "builder", Ref: baseRef(ctx, p.opts.BuilderBaseName, p.builderBase())},
		{Role: "runtime", Ref: baseRef(ctx, p.opts.RuntimeBaseName, p.runtimeBase())},
	}
}

// baseRef is the caller's name for a base, else the reference and digest the engine
// resolved for it (a container just pulled with From has one).
func baseRef(ctx context.Context, name string, base *dagger.Container) string {
	if name != "" {
		return name
	}
	if ref, err := base.ImageRef(ctx); err == nil {
		return ref
	}
	return "a container given by the caller (no registry digest)"
}
