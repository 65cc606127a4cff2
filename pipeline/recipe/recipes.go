// Package recipe makes the images: the tutorial's single-stage and multi-stage
// recipes, multistage's own multi-stage build and the shell-less minimal image, each
// a Dockerfile's steps as Dagger calls. In: Options and the app directory, read once
// into a project.Plan (what to install, how the app starts) and the app source as
// Docker would send it. Out: a *dagger.Container per variant, dated and reproducible,
// and what the report says of how they were made (the bases, the app source, the
// native libraries carried).
package recipe

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"sync"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline/project"
	"github.com/multistage/multistage/pipeline/scripts"
)

// Recipes makes the images of one app.
type Recipes struct {
	client *dagger.Client
	opts   Options
	// indexURL is the pip index URL with its credential, as a secret; nil without one.
	indexURL *dagger.Secret
	// app is the app directory as Docker would send it (source says what was left out).
	app    *dagger.Directory
	source *AppSource
	// plan is what every recipe installs and how the app starts, read once.
	plan *project.Plan
	// probe is the check in force (the options over the project's own check), which
	// the production images' HEALTHCHECK asks.
	probe project.Probe
	// scripts are the helper scripts, made once and shared by copies (a rebuild for
	// --verify-reproducible).
	scripts *scripts.Set
	// native is the scan of what the venv links (native.go), made once per build.
	native *nativeScanOnce
	// builderFallback and runtimeFallback say a base was built from the digest its tag
	// resolved to before, the registry being unreachable (outage.go); empty otherwise.
	builderFallback, runtimeFallback string
	// recording is the bases' digests being remembered (outage.go), beside the build.
	recording *sync.WaitGroup
}

// New validates opts (after applying defaults), reads the app and prepares its
// recipes; helpers are the scripts the steps run.
func New(ctx context.Context, client *dagger.Client, helpers *scripts.Set, opts Options) (*Recipes, error) {
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	r := &Recipes{client: client, opts: opts, scripts: helpers, native: &nativeScanOnce{}, recording: &sync.WaitGroup{}}
	if err := r.readApp(ctx); err != nil {
		return nil, err
	}
	r.probe = project.ProbeFor(r.opts.askedCheck(), r.plan.Check)
	if err := r.checkWheels(ctx); err != nil {
		return nil, err
	}
	if err := r.pinBases(ctx); err != nil {
		return nil, err
	}
	if r.opts.PipIndexCredential != nil {
		secret, err := r.credentialedIndexURL(ctx)
		if err != nil {
			return nil, err
		}
		r.indexURL = secret
	}
	return r, nil
}

// Options returns the options in force, defaults applied and the plan's choices made.
func (r *Recipes) Options() Options { return r.opts }

// Probe is the check the production images' HEALTHCHECK asks, and every image is given.
func (r *Recipes) Probe() project.Probe { return r.probe }

// Plan is the project plan every recipe follows.
func (r *Recipes) Plan() *project.Plan { return r.plan }

// AppSource says what of the app directory the images were given.
func (r *Recipes) AppSource() *AppSource { return r.source }

// RuntimeBase is the image the production stages start from.
func (r *Recipes) RuntimeBase() *dagger.Container { return r.runtimeBase() }

// Recorded waits until the digests the bases resolved to are remembered, for a later
// registry outage (outage.go).
func (r *Recipes) Recorded() { r.recording.Wait() }

// Rebuilt is a copy whose every build step runs again instead of coming from the
// engine's cache (any new nonce does), scanning the venv again too: the second build
// of --verify-reproducible.
func (r *Recipes) Rebuilt(nonce string) *Recipes {
	again := *r
	again.opts.Rebuild = nonce
	again.native = &nativeScanOnce{}
	return &again
}

// builderBase is the image the builder stage starts from.
func (r *Recipes) builderBase() *dagger.Container {
	if r.opts.BuilderBase != nil {
		return r.opts.BuilderBase
	}
	return r.client.Container().From(r.officialTag(""))
}

// runtimeBase is the image the production stages start from.
func (r *Recipes) runtimeBase() *dagger.Container {
	if r.opts.RuntimeBase != nil {
		return r.opts.RuntimeBase
	}
	return r.client.Container().From(r.officialTag("-slim"))
}

// credentialedIndexURL puts the credential into the index URL and hands the result
// back as a new secret, so that pip reads it from its environment at install time
// and the plain text is never part of a command line, a layer or the image config.
func (r *Recipes) credentialedIndexURL(ctx context.Context) (*dagger.Secret, error) {
	credential, err := r.opts.PipIndexCredential.Plaintext(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the pip index credential: %w", err)
	}
	u, err := url.Parse(r.opts.PipIndexURL)
	if err != nil {
		return nil, fmt.Errorf("pip index URL: %w", err)
	}
	if user, password, ok := cutCredential(credential); ok {
		u.User = url.UserPassword(user, password)
	} else {
		u.User = url.User(credential)
	}
	sum := sha256.Sum256([]byte(u.String()))
	return r.client.SetSecret("pip-index-url-"+hex.EncodeToString(sum[:8]), u.String()), nil
}

// cutCredential splits "user:password"; a token without a colon is not split.
func cutCredential(s string) (user, password string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return s[:i], s[i+1:], true
		}
	}
	return "", "", false
}
