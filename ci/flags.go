package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline"
	"github.com/multistage/multistage/pipeline/failure"
	"github.com/multistage/multistage/pipeline/recipe"
)

// AppFlags are the flags every build command shares; each falls back to an env var.
type AppFlags struct {
	App                string        `default:"sample-app" env:"MULTISTAGE_APP" type:"existingdir" help:"App directory: requirements.txt, pyproject.toml or a lock file (uv.lock, poetry.lock, Pipfile.lock) at its root; its .dockerignore is honoured."`
	IncludeAll         bool          `env:"MULTISTAGE_INCLUDE_ALL" help:"Without a .dockerignore, send the whole app directory (no default exclusions: .env, keys, .git, .venv, caches, ...)."`
	PythonVersion      string        `env:"MULTISTAGE_PYTHON_VERSION" help:"Python version: bases python:<v> (builder) and python:<v>-slim (runtime). Default: the project's .python-version, else ${python}."`
	BuilderBase        string        `env:"MULTISTAGE_BUILDER_BASE" help:"Builder base: an image reference, or a path to an OCI or docker image tarball."`
	RuntimeBase        string        `env:"MULTISTAGE_RUNTIME_BASE" help:"Runtime base: an image reference, or a path to an OCI or docker image tarball."`
	Wheels             string        `env:"MULTISTAGE_WHEELS" type:"existingdir" help:"Install from this wheels directory with no index (pip --no-index --find-links)."`
	PipIndexURL        string        `env:"MULTISTAGE_PIP_INDEX_URL" help:"Package index URL for pip."`
	PipIndexCredential string        `env:"MULTISTAGE_PIP_INDEX_CREDENTIAL" help:"Credential for the pip index (user:password or token); kept secret, never in an image."`
	Port               int           `default:"${port}" env:"MULTISTAGE_PORT" help:"Port the app listens on."`
	CheckPath          string        `env:"MULTISTAGE_CHECK_PATH" placeholder:"PATH" help:"Path the check requests, and the images' HEALTHCHECK (default: the project's [tool.multistage.check], else /)."`
	ExpectStatus       int           `env:"MULTISTAGE_EXPECT_STATUS" placeholder:"CODE" help:"The one status that passes (default: 200-399)."`
	Expect             string        `env:"MULTISTAGE_EXPECT" placeholder:"TEXT" help:"Text the body must contain (default: the project's [tool.multistage.check], else any body)."`
	ExpectRegex        string        `env:"MULTISTAGE_EXPECT_REGEX" placeholder:"RE" help:"Regular expression (RE2) the body must match."`
	Timeout            time.Duration `default:"${timeout}" env:"MULTISTAGE_TIMEOUT" help:"Give up a service check after this long."`
	RuntimeLib         []string      `env:"MULTISTAGE_RUNTIME_LIBS" sep:"," placeholder:"SONAME" help:"A library the app loads by name at run time (ctypes), e.g. libpq.so.5: the production images carry it and what it links, from the builder."`
	AllowSecret        []string      `env:"MULTISTAGE_ALLOW_SECRETS" sep:"," placeholder:"PATH" aliases:"allow-secrets" help:"Accept the secrets found in this file knowingly (as the report names it: settings.py, or /opt/venv/...): reported, not failing the verdict (repeatable)."`
	Keep               []string      `env:"MULTISTAGE_KEEP" sep:"," help:"Standard-library modules the minimal image keeps although its pruning would drop them."`
	Command            string        `env:"MULTISTAGE_COMMAND" help:"Start command of the app, run in its directory (default: a Procfile's web line, gunicorn or uvicorn when the dependencies include them, else python app.py)."`
	PinBases           bool          `env:"MULTISTAGE_PIN_BASES" help:"Resolve the official bases to digests first, so every stage uses the same image."`
	BaseRepository     string        `env:"MULTISTAGE_BASE_REPOSITORY" placeholder:"REPO" help:"Repository of the official bases, for a mirror of Docker Hub's python (e.g. mirror.gcr.io/library/python; default python)."`
	SourceDateEpoch    int           `env:"SOURCE_DATE_EPOCH" default:"0" help:"Time (seconds since 1970) every file the pipeline writes carries, and the images' creation time: the same inputs give the same image."`
	Variants           []string      `env:"MULTISTAGE_VARIANTS" placeholder:"VARIANT,..." help:"Compare only these variants (default: all)."`
}

// options translates the flags into pipeline options; it decides nothing itself.
func (f AppFlags) options(client *dagger.Client) pipeline.Options {
	opts := pipeline.Options{
		Options: recipe.Options{
			PythonVersion:   f.PythonVersion,
			BuilderBase:     baseContainer(client, f.BuilderBase),
			RuntimeBase:     baseContainer(client, f.RuntimeBase),
			BuilderBaseName: baseName(f.BuilderBase),
			RuntimeBaseName: baseName(f.RuntimeBase),
			PinBases:        f.PinBases,
			BaseRepository:  f.BaseRepository,
			BaseRecord:      recipe.FileBaseRecord{Path: recipe.DefaultBaseRecordPath()},
			PipIndexURL:     f.PipIndexURL,
			App:             client.Host().Directory(f.App),
			IncludeAll:      f.IncludeAll,
			SourceDateEpoch: f.SourceDateEpoch,
			Port:            f.Port,
			CheckPath:       f.CheckPath,
			ExpectStatus:    f.ExpectStatus,
			Expect:          f.Expect,
			ExpectRegex:     f.ExpectRegex,
			KeepModules:     f.Keep,
			RuntimeLibs:     f.RuntimeLib,
			Command:         strings.Fields(f.Command),
		},
		Variants:     f.Variants,
		CheckTimeout: f.Timeout,
		AllowSecrets: f.AllowSecret,
	}
	if f.Wheels != "" {
		opts.Wheels = client.Host().Directory(f.Wheels)
	}
	if f.PipIndexCredential != "" {
		opts.PipIndexCredential = client.SetSecret("pip-index-credential", f.PipIndexCredential)
	}
	return opts
}

// baseContainer reads a base given as a tarball path, else pulls it as a reference.
func baseContainer(client *dagger.Client, ref string) *dagger.Container {
	switch {
	case ref == "":
		return nil
	case isFile(ref):
		return client.Container().Import(client.Host().File(ref))
	default:
		return client.Container().From(ref)
	}
}

func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// withPipeline connects to the engine and runs fn with a pipeline built from flags,
// watching the engine: if it goes away, the run stops within 30 s with one line
// naming command, instead of waiting forever. own, if not nil, sets the options that
// are the command's own flags.
func withPipeline(ctx context.Context, command string, flags AppFlags, own func(*pipeline.Options), fn func(context.Context, *dagger.Client, *pipeline.Pipeline) error) error {
	client, err := connect(ctx)
	if err != nil {
		return err
	}
	defer closeBounded(client)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go watchEngine(ctx, client, cancel)

	done := make(chan error, 1)
	go func() {
		opts := flags.options(client)
		if own != nil {
			own(&opts)
		}
		p, err := pipeline.New(ctx, client, opts)
		if err == nil {
			err = fn(ctx, client, p)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if cause := context.Cause(ctx); errors.Is(cause, errEngineLost) {
			return lostEngineError(cause, command)
		}
		// A call that failed because the engine is gone says so only in transport
		// terms (a refused dial, a 502): ask the engine once more before blaming the run.
		if err != nil && ctx.Err() == nil {
			if lost := engineGone(ctx, client); lost != nil {
				return lostEngineError(lost, command)
			}
		}
		return err
	case <-ctx.Done():
		if cause := context.Cause(ctx); errors.Is(cause, errEngineLost) {
			// Calls to a lost engine may not notice the cancellation: give them a
			// moment to return, then go without them.
			select {
			case <-done:
			case <-time.After(5 * time.Second):
			}
			return lostEngineError(cause, command)
		}
		return <-done
	}
}

// connectTimeout bounds the wait for an engine; MULTISTAGE_CONNECT_TIMEOUT changes it
// (a first run that must start an engine container can take minutes).
func connectTimeout() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("MULTISTAGE_CONNECT_TIMEOUT")); err == nil && d > 0 {
		return d
	}
	return 3 * time.Minute
}

// connect joins the engine of `dagger run`, or the one _EXPERIMENTAL_DAGGER_RUNNER_HOST
// names, within connectTimeout. The session lives as long as ctx, so the bound is a
// timer beside it, not a deadline on it.
func connect(ctx context.Context) (*dagger.Client, error) {
	type result struct {
		client *dagger.Client
		err    error
	}
	done := make(chan result, 1)
	// The SDK talks while it connects ("Creating new Engine session... OK!"): held
	// back until the session is up, so that a failure is the one line below.
	progress := &heldOutput{to: os.Stderr}
	go func() {
		client, err := dagger.Connect(ctx, dagger.WithLogOutput(progress))
		done <- result{client, err}
	}()
	limit := connectTimeout()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("no reachable Dagger engine (%s): %s", failure.Describe(r.err), engineHint)
		}
		progress.release()
		return r.client, nil
	case <-time.After(limit):
		return nil, fmt.Errorf("no reachable Dagger engine within %s: %s", limit, engineHint)
	case <-ctx.Done():
		return nil, fmt.Errorf("interrupted while connecting to the Dagger engine")
	}
}

const engineHint = "run under `dagger run` with the Dagger CLI v0.21.8 and a container runtime, or set _EXPERIMENTAL_DAGGER_RUNNER_HOST"

// heldOutput keeps what is written to it until release, then passes it on.
type heldOutput struct {
	mu       sync.Mutex
	held     bytes.Buffer
	released bool
	to       io.Writer
}

func (h *heldOutput) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.released {
		return h.to.Write(p)
	}
	return h.held.Write(p)
}

// release writes what was held and lets everything after it through.
func (h *heldOutput) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.to.Write(h.held.Bytes())
	h.held.Reset()
	h.released = true
}
