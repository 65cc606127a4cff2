// Containerize a Python web app single-stage and multi-stage, prove that every image
// serves on its port, and compare what each weighs.
//
// The module is a thin front: the constructor holds the settings every function
// shares (the app, the bases, where packages come from, the port and the check), and
// each function translates them into the pipeline's options and calls the pipeline
// package, which holds every recipe.
//
// Verdicts are never cached across sessions (+cache="session"): a check proves that an
// image serves now, and a base tag such as python:3.13-slim may point at a new digest
// tomorrow. The engine's layer cache still makes an unchanged build instant.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"dagger/multistage/internal/dagger"

	lib "dagger.io/dagger"
	"github.com/multistage/multistage/pipeline"
	"github.com/multistage/multistage/pipeline/export"
	"github.com/multistage/multistage/pipeline/inventory"
	"github.com/multistage/multistage/pipeline/recipe"
	reports "github.com/multistage/multistage/pipeline/report"
)

// Multistage builds, checks and compares the images of a Python web app.
type Multistage struct {
	// +private
	App *dagger.Directory
	// +private
	PythonVersion string
	// +private
	BaseRepository string
	// +private
	BuilderBase *dagger.Container
	// +private
	RuntimeBase *dagger.Container
	// +private
	Wheels *dagger.Directory
	// +private
	PipIndexURL string
	// +private
	PipIndexCredential *dagger.Secret
	// +private
	Port int
	// +private
	CheckPath string
	// +private
	ExpectStatus int
	// +private
	Expect string
	// +private
	ExpectRegex string
	// +private
	Timeout string
	// +private
	Command string
	// +private
	IncludeAll bool
	// +private
	SourceDateEpoch int
	// +private
	RuntimeLibs []string
	// +private
	AllowSecrets []string
}

func New(
	// App directory: a requirements.txt, a pyproject.toml or a lock file (uv.lock,
	// poetry.lock, Pipfile.lock) at its root, and the app. Its .dockerignore is honoured.
	// +defaultPath="/sample-app"
	app *dagger.Directory,
	// Python version: bases python:<v> (builder) and python:<v>-slim (runtime).
	// Default: the project's .python-version, else 3.13.
	// +optional
	pythonVersion string,
	// Repository of the official bases, for a mirror of Docker Hub's python, e.g.
	// mirror.gcr.io/library/python. Default: python.
	// +optional
	baseRepository string,
	// Builder base, replacing python:<v>.
	// +optional
	builderBase *dagger.Container,
	// Runtime base, replacing python:<v>-slim.
	// +optional
	runtimeBase *dagger.Container,
	// Install from this wheels directory with no index.
	// +optional
	wheels *dagger.Directory,
	// Package index URL for pip.
	// +optional
	pipIndexURL string,
	// Credential for the pip index (user:password or token).
	// +optional
	pipIndexCredential *dagger.Secret,
	// Port the app listens on, and PORT in every image (default 5000).
	// +optional
	port int,
	// Path the check requests, and the production images' HEALTHCHECK asks.
	// Default: the project's pyproject.toml [tool.multistage.check], else "/".
	// +optional
	checkPath string,
	// The one status that passes (default: any of 200-399, as a Kubernetes probe).
	// +optional
	expectStatus int,
	// Text the body must contain. Default: the project's [tool.multistage.check],
	// else the body is not checked.
	// +optional
	expect string,
	// Regular expression (RE2 syntax) the body must match.
	// +optional
	expectRegex string,
	// Give up a service check after this long, e.g. "30s".
	// +optional
	timeout string,
	// Start command of the app, e.g. "gunicorn app:app". Default: a Procfile's web
	// line, gunicorn or uvicorn on the app when the dependencies include them, else
	// python app.py.
	// +optional
	command string,
	// Send the whole app directory: no default exclusions (.env, private keys, .git,
	// .venv, caches, ...) when it has no .dockerignore.
	// +optional
	includeAll bool,
	// Time (seconds since 1970) every file the pipeline writes carries, and the
	// exported images' creation time: pass "$SOURCE_DATE_EPOCH" to follow the
	// convention. Default 0: the same inputs give the same image, any day.
	// +optional
	sourceDateEpoch int,
	// Libraries the app loads by name at run time (ctypes), e.g. "libpq.so.5": the
	// production images carry each, and what it links, from the builder, as they
	// carry what the venv's compiled code links.
	// +optional
	runtimeLibs []string,
	// Files whose secrets are accepted knowingly, as the report names them (e.g.
	// "settings.py", or "/opt/venv/..."): still reported, no longer failing the verdict.
	// +optional
	allowSecrets []string,
) *Multistage {
	return &Multistage{App: app, PythonVersion: pythonVersion, BaseRepository: baseRepository, BuilderBase: builderBase, RuntimeBase: runtimeBase,
		Wheels: wheels, PipIndexURL: pipIndexURL, PipIndexCredential: pipIndexCredential, Port: port,
		CheckPath: checkPath, ExpectStatus: expectStatus, Expect: expect, ExpectRegex: expectRegex, Timeout: timeout, Command: command, IncludeAll: includeAll, SourceDateEpoch: sourceDateEpoch,
		RuntimeLibs: runtimeLibs, AllowSecrets: allowSecrets}
}

// Build every variant (single-stage, multi-stage, minimal, and the tutorial's broken
// multi-stage), check each on its port, and report their sizes and contents side by side.
// +cache="session"
func (m *Multistage) Compare(
	ctx context.Context,
	// Report format: table, json, markdown (a Mermaid chart of the sizes, then
	// tables) or html (one self-contained page).
	// +optional
	// +default="table"
	format string,
	// Fail when a variant is larger than a size unpacked, as VARIANT=SIZE (e.g. multi-stage=150MB).
	// +optional
	maxSize []string,
	// Fail when multi-stage saves less than this percentage against single-stage.
	// +optional
	minReduction string,
	// Fail when any image wastes more than this size in overwritten or deleted files.
	// +optional
	maxWaste string,
	// Build each variant a second time, every step run again, and report whether the
	// layers came out the same (or the first file that differs).
	// +optional
	verifyReproducible bool,
	// Compare only these variants (default: all), e.g. single-stage,multi-stage.
	// +optional
	variants []string,
) (string, error) {
	budgets, err := reports.ParseBudgets(maxSize, minReduction, maxWaste)
	if err != nil {
		return "", err
	}
	var text string
	own := func(o *pipeline.Options) { o.VerifyReproducible, o.Variants = verifyReproducible, variants }
	err = m.run(ctx, own, func(_ *lib.Client, p *pipeline.Pipeline) error {
		report, _ := p.Compare(ctx)
		report.ApplyBudgets(budgets)
		var err error
		if text, err = report.Render(format); err != nil {
			return err
		}
		if !report.OK {
			return fmt.Errorf("%s\n%s", text, report.Verdict())
		}
		return nil
	})
	return text, err
}

// The variants compare builds, one a line: its name (for compare --variants, check
// and export) and what it is. Builds nothing.
// +cache="session"
func (m *Multistage) Variants() string {
	var lines []string
	for _, v := range recipe.Variants {
		lines = append(lines, v.Name+": "+v.Description)
	}
	return strings.Join(lines, "\n") + "\n"
}

// The tutorial's single-stage image: slim base, requirements installed globally,
// the app beside them.
// +cache="session"
func (m *Multistage) SingleStage(ctx context.Context) (*dagger.Container, error) {
	return m.container(ctx, func(p *pipeline.Pipeline) (*lib.Container, error) { return p.Recipes().SingleStage(), nil })
}

// The multi-stage build's first stage: the requirements installed into a virtual
// environment at /opt/venv.
// +cache="session"
func (m *Multistage) Builder(ctx context.Context) (*dagger.Container, error) {
	return m.container(ctx, func(p *pipeline.Pipeline) (*lib.Container, error) { return p.Recipes().Builder(), nil })
}

// The multi-stage build's production image: the slim base, the venv from the
// builder and the app, run as a non-root user, with a healthcheck.
// +cache="session"
func (m *Multistage) MultiStage(ctx context.Context) (*dagger.Container, error) {
	return m.container(ctx, func(p *pipeline.Pipeline) (*lib.Container, error) { return p.Recipes().Production(ctx) })
}

// A production image on scratch with only what the app needs: the interpreter, the
// pruned standard library, the shared libraries they link against, the venv without
// pip, the app, CA certificates and time zones. No shell, no pip, no compiler.
// +cache="session"
func (m *Multistage) Minimal(
	ctx context.Context,
	// Standard-library modules to keep although the pruning rule drops them (e.g. "unittest").
	// +optional
	keep []string,
) (*dagger.Container, error) {
	return m.container(ctx, func(p *pipeline.Pipeline) (*lib.Container, error) { return p.Recipes().Minimal(keep...), nil })
}

// The software bill of materials of one variant's image, as CycloneDX 1.6 JSON: every
// Python distribution in it (pkg:pypi, with the lock's hashes) and every Debian package
// whose files it holds (for minimal, those whose files were carried, with their bytes),
// and the interpreter. `export` writes the same beside each tarball as <variant>.cdx.json.
// A function of the module with --variant (`dagger call sbom --variant multi-stage`),
// since multi-stage returns Dagger's own Container, which a module cannot extend.
// +cache="session"
func (m *Multistage) Sbom(
	ctx context.Context,
	// Variant: single-stage, multi-stage, minimal or tutorial.
	// +default="multi-stage"
	variant string,
) (*dagger.File, error) {
	var out *dagger.File
	err := m.run(ctx, nil, func(client *lib.Client, p *pipeline.Pipeline) error {
		doc, err := p.SBOMOf(ctx, variant)
		if err != nil {
			return err
		}
		id, err := client.Directory().WithNewFile(inventory.SBOMFile(variant), string(doc)).File(inventory.SBOMFile(variant)).ID(ctx)
		if err != nil {
			return err
		}
		out = dag.LoadFileFromID(dagger.FileID(id))
		return nil
	})
	return out, err
}

// Build one variant (single-stage, multi-stage, minimal or tutorial), start it as a service
// and request / until it answers the expected body. Returns the result as JSON;
// fails when the check fails.
// +cache="session"
func (m *Multistage) Check(
	ctx context.Context,
	// Variant: single-stage, multi-stage, minimal or tutorial.
	// +default="multi-stage"
	variant string,
) (string, error) {
	var text string
	err := m.run(ctx, nil, func(_ *lib.Client, p *pipeline.Pipeline) error {
		image, err := p.Build(ctx, variant)
		if err != nil {
			return err
		}
		result := p.Check(ctx, variant, image)
		out, _ := json.MarshalIndent(result, "", "  ")
		text = string(out)
		if !result.Passed {
			return fmt.Errorf("%s did not pass its check: %s\n%s", variant, result.Error, text)
		}
		return nil
	})
	return text, err
}

// Run compare and return a directory with every image built as a tarball that docker
// load and podman load take (<variant>.tar), its CycloneDX SBOM (<variant>.cdx.json),
// and the report as report.json, report.md,
// report.txt and report.html, whether the verdict passed or failed: a failed check or budget is
// when CI most needs the report in its summary and artifacts. `verdict` then turns the
// report into the exit status.
// +cache="session"
func (m *Multistage) Export(
	ctx context.Context,
	// Fail when a variant is larger than a size unpacked, as VARIANT=SIZE (e.g. multi-stage=150MB).
	// +optional
	maxSize []string,
	// Fail when multi-stage saves less than this percentage against single-stage.
	// +optional
	minReduction string,
	// Fail when any image wastes more than this size in overwritten or deleted files.
	// +optional
	maxWaste string,
	// Build each variant a second time, every step run again, and report whether the
	// layers came out the same (or the first file that differs).
	// +optional
	verifyReproducible bool,
) (*dagger.Directory, error) {
	budgets, err := reports.ParseBudgets(maxSize, minReduction, maxWaste)
	if err != nil {
		return nil, err
	}
	var out *dagger.Directory
	own := func(o *pipeline.Options) { o.VerifyReproducible = verifyReproducible }
	err = m.run(ctx, own, func(client *lib.Client, p *pipeline.Pipeline) error {
		report, built := p.Compare(ctx)
		report.ApplyBudgets(budgets)
		dir, err := os.MkdirTemp("", "multistage-export-")
		if err != nil {
			return err
		}
		if _, err := export.WriteExport(ctx, report, built, dir, false); err != nil {
			return err
		}
		id, err := client.Host().Directory(dir).ID(ctx)
		if err != nil {
			return err
		}
		out = dag.LoadDirectoryFromID(dagger.DirectoryID(id))
		_, err = out.Sync(ctx)
		return err
	})
	return out, err
}

// Read the report.json an export wrote and fail, printing the Markdown report and
// ending in the line that names what failed, when its verdict failed. In CI it runs
// after `export ... export --path out`, so out/ is written first either way.
// +cache="never"
func (m *Multistage) Verdict(
	ctx context.Context,
	// The report.json of an export (out/report.json).
	report *dagger.File,
) (string, error) {
	text, err := report.Contents(ctx)
	if err != nil {
		return "", fmt.Errorf("the report cannot be read (%v): pass the report.json that export wrote", err)
	}
	var r reports.Report
	if err := json.Unmarshal([]byte(text), &r); err != nil || r.SchemaVersion == 0 {
		return "", fmt.Errorf("the report is not a multistage report.json (%v): pass the report.json that export wrote", err)
	}
	if !r.OK {
		markdown, _ := r.Render(reports.FormatMarkdown)
		return "", fmt.Errorf("%s\n%s", markdown, r.Verdict())
	}
	return r.Verdict(), nil
}

// run joins the session with the dagger.io/dagger library, turns the settings into
// pipeline options (objects cross by ID) and calls fn.
// own, if not nil, sets the options that are the function's own arguments.
func (m *Multistage) run(ctx context.Context, own func(*pipeline.Options), fn func(*lib.Client, *pipeline.Pipeline) error) error {
	client, err := lib.Connect(ctx)
	if err != nil {
		return fmt.Errorf("joining the Dagger session: %w", err)
	}
	defer client.Close()
	opts, err := m.options(ctx, client)
	if err != nil {
		return err
	}
	if own != nil {
		own(&opts)
	}
	p, err := pipeline.New(ctx, client, opts)
	if err != nil {
		return err
	}
	return fn(client, p)
}

// container runs build and hands its container back in the generated type.
func (m *Multistage) container(ctx context.Context, build func(*pipeline.Pipeline) (*lib.Container, error)) (*dagger.Container, error) {
	var out *dagger.Container
	err := m.run(ctx, nil, func(_ *lib.Client, p *pipeline.Pipeline) error {
		ctr, err := build(p)
		if err != nil {
			return err
		}
		id, err := ctr.ID(ctx)
		if err != nil {
			return err
		}
		out = dag.LoadContainerFromID(dagger.ContainerID(id))
		return nil
	})
	return out, err
}

func (m *Multistage) options(ctx context.Context, client *lib.Client) (pipeline.Options, error) {
	opts := pipeline.Options{
		Options: recipe.Options{
			PythonVersion:   m.PythonVersion,
			PipIndexURL:     m.PipIndexURL,
			Port:            m.Port,
			CheckPath:       m.CheckPath,
			ExpectStatus:    m.ExpectStatus,
			Expect:          m.Expect,
			ExpectRegex:     m.ExpectRegex,
			Command:         strings.Fields(m.Command),
			IncludeAll:      m.IncludeAll,
			SourceDateEpoch: m.SourceDateEpoch,
			RuntimeLibs:     m.RuntimeLibs,
			BaseRepository:  m.BaseRepository,
			BaseRecord:      recipe.VolumeBaseRecord{Client: client, Reader: recordReader(client)},
		},
		AllowSecrets: m.AllowSecrets,
	}
	if m.Timeout != "" {
		d, err := time.ParseDuration(m.Timeout)
		if err != nil {
			return opts, fmt.Errorf("timeout %q is not a duration: use for example 30s", m.Timeout)
		}
		opts.CheckTimeout = d
	}
	directory := func(id dagger.ID) *lib.Directory { return client.LoadDirectoryFromID(lib.DirectoryID(id)) }
	container := func(id dagger.ID) *lib.Container { return client.LoadContainerFromID(lib.ContainerID(id)) }
	secret := func(id dagger.ID) *lib.Secret { return client.LoadSecretFromID(lib.SecretID(id)) }
	var err error
	if opts.App, err = byID(ctx, m.App, m.App == nil, directory); err != nil {
		return opts, err
	}
	if opts.Wheels, err = byID(ctx, m.Wheels, m.Wheels == nil, directory); err != nil {
		return opts, err
	}
	if opts.BuilderBase, err = byID(ctx, m.BuilderBase, m.BuilderBase == nil, container); err != nil {
		return opts, err
	}
	if opts.RuntimeBase, err = byID(ctx, m.RuntimeBase, m.RuntimeBase == nil, container); err != nil {
		return opts, err
	}
	opts.PipIndexCredential, err = byID(ctx, m.PipIndexCredential, m.PipIndexCredential == nil, secret)
	return opts, err
}

// byID turns an object of the module's generated types into the library's: the
// engine knows both by the same ID. A nil object (an argument not given) stays nil.
func byID[ID ~string, Object interface {
	ID(context.Context) (ID, error)
}, Lib any](ctx context.Context, object Object, isNil bool, load func(ID) Lib) (Lib, error) {
	var none Lib
	if isNil {
		return none, nil
	}
	id, err := object.ID(ctx)
	if err != nil {
		return none, err
	}
	return load(id), nil
}

// The module's record of base digests lives in an engine cache volume (pipeline/recipe's
// outage.go); in a registry outage no image can be pulled to read it in, so this
// binary, static, reads it in an otherwise empty container.
func init() { recipe.RecordReaderMain() }

// recordReader puts this module's own binary into an empty container, as its entrypoint.
func recordReader(client *lib.Client) func(context.Context) (*lib.Container, error) {
	return func(ctx context.Context) (*lib.Container, error) {
		self, err := os.ReadFile("/proc/self/exe")
		if err != nil {
			return nil, err
		}
		const name = "multistage-record-reader"
		if err := os.WriteFile(name, self, 0o755); err != nil {
			return nil, err
		}
		id, err := dag.CurrentModule().WorkdirFile(name).ID(ctx)
		if err != nil {
			return nil, err
		}
		file := client.LoadFileFromID(lib.FileID(id))
		return client.Container().
			WithFile("/reader", file, lib.ContainerWithFileOpts{Permissions: 0o755}).
			// The generated client's init, which runs before ours, panics without a
			// session to name; it only names one (it dials nothing), so any will do.
			WithEnvVariable("DAGGER_SESSION_PORT", "1").
			WithEnvVariable("DAGGER_SESSION_TOKEN", "none").
			WithEntrypoint([]string{"/reader"}), nil
	}
}
