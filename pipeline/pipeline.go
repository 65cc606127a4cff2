// Package pipeline holds every recipe of multistage: the single-stage and multi-stage
// builds of a Python web app, the service check on its port, the size report and the
// export. The Dagger module and the CLI are thin fronts over it.
package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline/check"
	"github.com/multistage/multistage/pipeline/measure"
	"github.com/multistage/multistage/pipeline/project"
	"github.com/multistage/multistage/pipeline/scripts"
)

// Pipeline builds, checks and measures the variants of one app.
type Pipeline struct {
	client *dagger.Client
	opts   Options
	// indexURL is the pip index URL with its credential, as a secret; nil without one.
	indexURL *dagger.Secret
	// app is the app directory as Docker would send it (source says what was left out).
	app    *dagger.Directory
	source *AppSource
	// plan is what every recipe installs and how the app starts, read once.
	plan *project.Plan
	// probe is the check in force: the options over the project's own check.
	probe project.Probe
	// checker proves that an image serves, with the probe above.
	checker *check.Checker
	// scripts is the directory of helper scripts (scripts.go), made once and shared
	// by copies of the pipeline (a rebuild for --verify-reproducible).
	scripts *scripts.Set
	// measurer reads each image's tarball in the engine.
	measurer *measure.Reader
	// native is the scan of what the venv links (native.go), made once per build.
	native *nativeScanOnce
}

// New validates opts (after applying defaults) and prepares a pipeline.
func New(ctx context.Context, client *dagger.Client, opts Options) (*Pipeline, error) {
	opts = opts.withDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	p := &Pipeline{client: client, opts: opts, scripts: scripts.New(client), native: &nativeScanOnce{}}
	if err := p.readApp(ctx); err != nil {
		return nil, err
	}
	p.probe = project.ProbeFor(opts.askedCheck(), p.plan.Check)
	p.checker = check.New(client, p.scripts, check.Spec{Port: opts.Port, Probe: p.probe, Timeout: opts.CheckTimeout})
	if err := p.checkWheels(ctx); err != nil {
		return nil, err
	}
	if opts.PinBases {
		if err := p.pinBases(ctx); err != nil {
			return nil, err
		}
	}
	if opts.PipIndexCredential != nil {
		secret, err := p.credentialedIndexURL(ctx)
		if err != nil {
			return nil, err
		}
		p.indexURL = secret
	}
	p.measurer = measure.New(client, p.scripts, p.runtimeBase())
	return p, nil
}

// ownMeasureVolume, when set, is where measure keeps its layer listings instead of
// its shared volume (tests that must see every layer read: UseOwnMeasureVolume).
var ownMeasureVolume string

// Options returns the options in force, defaults applied and the plan's choices made.
func (p *Pipeline) Options() Options { return p.opts }

// Probe is the check every image is given.
func (p *Pipeline) Probe() project.Probe { return p.probe }

// Plan is the project plan every recipe follows.
func (p *Pipeline) Plan() *project.Plan { return p.plan }

// builderBase is the image the builder stage starts from.
func (p *Pipeline) builderBase() *dagger.Container {
	if p.opts.BuilderBase != nil {
		return p.opts.BuilderBase
	}
	return p.client.Container().From("python:" + p.opts.PythonVersion)
}

// runtimeBase is the image the production stages start from.
func (p *Pipeline) runtimeBase() *dagger.Container {
	if p.opts.RuntimeBase != nil {
		return p.opts.RuntimeBase
	}
	return p.client.Container().From("python:" + p.opts.PythonVersion + "-slim")
}

// credentialedIndexURL puts the credential into the index URL and hands the result
// back as a new secret, so that pip reads it from its environment at install time
// and the plain text is never part of a command line, a layer or the image config.
func (p *Pipeline) credentialedIndexURL(ctx context.Context) (*dagger.Secret, error) {
	credential, err := p.opts.PipIndexCredential.Plaintext(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the pip index credential: %w", err)
	}
	u, err := url.Parse(p.opts.PipIndexURL)
	if err != nil {
		return nil, fmt.Errorf("pip index URL: %w", err)
	}
	if user, password, ok := cutCredential(credential); ok {
		u.User = url.UserPassword(user, password)
	} else {
		u.User = url.User(credential)
	}
	sum := sha256.Sum256([]byte(u.String()))
	return p.client.SetSecret("pip-index-url-"+hex.EncodeToString(sum[:8]), u.String()), nil
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

// Measure sizes image and reads its layers and contents (measure.Reader.Measure).
func (p *Pipeline) Measure(ctx context.Context, image *dagger.Container) (measure.Measurement, error) {
	if ownMeasureVolume != "" {
		return p.measurer.WithVolume(ownMeasureVolume).Measure(ctx, image)
	}
	return p.measurer.Measure(ctx, image)
}
