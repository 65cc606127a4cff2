package recipe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"

	"dagger.io/dagger"
	"github.com/moby/patternmatcher/ignorefile"
	"github.com/multistage/multistage/pipeline/failure"
	"github.com/multistage/multistage/pipeline/project"
	"github.com/multistage/multistage/pipeline/scripts"
)

// AppSource says how the app directory was read: what was left out, and by which rule.
type AppSource struct {
	// Rule is ".dockerignore", "defaults" or "none".
	Rule     string   `json:"rule"`
	Patterns []string `json:"patterns"`
	// LeftOutFiles and LeftOutBytes count what the rule left out (files, their bytes).
	LeftOutFiles int   `json:"leftOutFiles"`
	LeftOutBytes int64 `json:"leftOutBytes"`
	// Withheld are the files the default exclusions left out as possible secrets
	// (environment files, private keys, secrets.*.yaml), by path in the app directory.
	Withheld []string `json:"withheld,omitempty"`
}

// readApp filters the app directory as Docker would send it (its .dockerignore, else
// the default exclusions) and reads the project plan from what is left.
func (r *Recipes) readApp(ctx context.Context) error {
	entries, err := r.opts.App.Entries(ctx)
	if err != nil {
		return fmt.Errorf("app directory cannot be read (%s): pass a directory that holds app.py and requirements.txt (or a pyproject.toml)", failure.Line(err))
	}
	if len(entries) == 0 {
		return errors.New("app directory is empty: add app.py and requirements.txt, or a pyproject.toml")
	}
	source, err := r.excludes(ctx, entries)
	if err != nil {
		return err
	}
	r.source, r.app = source, r.opts.App
	if len(source.Patterns) > 0 {
		r.app = r.opts.App.Filter(dagger.DirectoryFilterOpts{Exclude: source.Patterns})
	}
	in, err := r.projectInput(ctx)
	if err != nil {
		return err
	}
	plan, err := project.Read(in)
	if err != nil {
		return err
	}
	r.plan = plan
	r.opts.PythonVersion, r.opts.Command = plan.PythonVersion, plan.Command
	return nil
}

// excludes are the patterns the app directory is filtered with: the .dockerignore's
// (Docker's syntax and semantics, read by Docker's own parser), else the defaults.
func (r *Recipes) excludes(ctx context.Context, entries []string) (*AppSource, error) {
	if slices.Contains(entries, ".dockerignore") {
		text, err := r.opts.App.File(".dockerignore").Contents(ctx)
		if err != nil {
			return nil, fmt.Errorf(".dockerignore cannot be read (%s): fix or remove it", failure.Line(err))
		}
		patterns, err := ignorefile.ReadAll(strings.NewReader(text))
		if err != nil {
			return nil, fmt.Errorf(".dockerignore cannot be read (%v): fix it (Docker's .dockerignore syntax)", err)
		}
		return &AppSource{Rule: ".dockerignore", Patterns: patterns}, nil
	}
	if r.opts.IncludeAll {
		return &AppSource{Rule: "none", Patterns: []string{}}, nil
	}
	patterns := slices.Clone(DefaultExcludes)
	cfgs, err := r.opts.App.Glob(ctx, "**/pyvenv.cfg")
	if err != nil {
		return nil, fmt.Errorf("app directory cannot be read (%s)", failure.Line(err))
	}
	var venvs []string
	for _, cfg := range cfgs {
		venvs = append(venvs, path.Dir(cfg))
	}
	byContent, err := r.contentExcludes(ctx, venvs)
	if err != nil {
		return nil, err
	}
	patterns = append(append(patterns, venvs...), byContent...)
	return &AppSource{Rule: "defaults", Patterns: patterns}, nil
}

// projectInput reads, once and side by side, the files a plan may need.
func (r *Recipes) projectInput(ctx context.Context) (project.Input, error) {
	in := project.Input{Files: project.Files{}, PythonVersion: r.opts.PythonVersion,
		DefaultPythonVersion: DefaultPythonVersion, Command: r.opts.Command, Port: r.opts.Port}
	paths, err := r.app.Glob(ctx, "**")
	if err != nil {
		return in, fmt.Errorf("app directory cannot be read (%s)", failure.Line(err))
	}
	in.Paths = paths
	var mu sync.Mutex
	var firstErr error
	readFiles := func(names []string) {
		var wg sync.WaitGroup
		for _, name := range names {
			wg.Go(func() {
				if !slices.Contains(paths, name) {
					return
				}
				text, err := r.app.File(name).Contents(ctx)
				mu.Lock()
				defer mu.Unlock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("%s cannot be read (%s)", name, failure.Line(err))
				}
				in.Files[name] = project.Keep(name, []byte(text))
			})
		}
		wg.Wait()
	}
	readFiles(project.WantedFiles)
	// What the first files name (the module FLASK_APP names, the app's own module an
	// app is imported from) is read next: a few rounds at most, none for most apps.
	for round := 0; round < 3 && firstErr == nil; round++ {
		more := project.MoreWantedFiles(in)
		if len(more) == 0 {
			break
		}
		readFiles(more)
	}
	return in, firstErr
}

// CountLeftOut measures what the filter left out, in a container of the runtime base
// (the engine has the files; they are not sent to the client).
func (r *Recipes) CountLeftOut(ctx context.Context) error {
	if len(r.source.Patterns) == 0 {
		return nil
	}
	// Most apps lose nothing to the filter: the two listings say so without a container
	// (the sent one is the listing the plan was read from, answered from the engine's cache).
	given, err := r.opts.App.Glob(ctx, "**")
	if err != nil {
		return err
	}
	sent, err := r.app.Glob(ctx, "**")
	if err != nil {
		return err
	}
	if len(given) == len(sent) {
		return nil
	}
	if r.source.Rule == "defaults" {
		r.source.Withheld = withheldSecrets(given, sent)
	}
	out, err := r.scripts.Mount(r.runtimeBase()).
		WithMountedDirectory("/tmp/given", r.opts.App).
		WithMountedDirectory("/tmp/sent", r.app).
		WithExec(scripts.Command([]string{"python"}, "left_out.py", "/tmp/given", "/tmp/sent")).
		Stdout(ctx)
	if err != nil {
		return err
	}
	_, err = fmt.Fscan(bytes.NewBufferString(out), &r.source.LeftOutFiles, &r.source.LeftOutBytes)
	return err
}
