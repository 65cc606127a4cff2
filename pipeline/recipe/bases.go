package recipe

import (
	"context"

	"dagger.io/dagger"
)

// BaseImage is one base the pipeline used, as the report records it.
type BaseImage struct {
	Role string `json:"role"` // "builder" or "runtime"
	// Ref is the registry reference with its digest, or what the caller named for a
	// base it gave as a container (for example a tarball and its sha256).
	Ref string `json:"ref"`
	// Fallback says, when the registry could not be reached, that the base was built
	// from the digest its tag resolved to before (outage.go); empty otherwise.
	Fallback string `json:"fallback,omitempty"`
}

// pinBases resolves the official bases to their digests once, so that every stage
// of every variant uses the same image even if a tag moves during the run. It runs for
// every pipeline that builds from an official base: without PinBases the stages name
// the tag as before, but the digest is still remembered, and in a registry outage the
// base is pinned to the digest remembered (outage.go).
func (r *Recipes) pinBases(ctx context.Context) error {
	pin := func(tag string, base **dagger.Container, name *string, fallback *string) error {
		resolved, err := r.resolveBase(ctx, tag)
		if err != nil {
			return err
		}
		if r.opts.PinBases || resolved.fallback != "" {
			*base, *name, *fallback = r.client.Container().From(resolved.ref), resolved.ref, resolved.fallback
		}
		return nil
	}
	if r.opts.BuilderBase == nil {
		if err := pin(r.officialTag(""), &r.opts.BuilderBase, &r.opts.BuilderBaseName, &r.builderFallback); err != nil {
			return err
		}
	}
	if r.opts.RuntimeBase == nil {
		if err := pin(r.officialTag("-slim"), &r.opts.RuntimeBase, &r.opts.RuntimeBaseName, &r.runtimeFallback); err != nil {
			return err
		}
	}
	return nil
}

// Bases says which bases this pipeline builds from, with digests where a registry gives them.
func (r *Recipes) Bases(ctx context.Context) []BaseImage {
	return []BaseImage{
		{Role: "builder", Ref: baseRef(ctx, r.opts.BuilderBaseName, r.builderBase()), Fallback: r.builderFallback},
		{Role: "runtime", Ref: baseRef(ctx, r.opts.RuntimeBaseName, r.runtimeBase()), Fallback: r.runtimeFallback},
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
