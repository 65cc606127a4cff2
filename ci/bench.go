package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"

	"dagger.io/dagger"

	"github.com/multistage/multistage/pipeline/bench"
	"github.com/multistage/multistage/pipeline/kit"
	"github.com/multistage/multistage/pipeline/report"
)

// BenchCmd times the pipeline against podman building the same recipes.
type BenchCmd struct {
	Module bool   `default:"true" negatable:"" help:"Also time dagger call compare of this repository's module (needs the Dagger CLI, and an engine whose docker.io mirror holds the kit's bases: kit --push)."`
	Kit    string `required:"" env:"MULTISTAGE_KIT_DIR" help:"Offline kit directory (made if missing): the bases and wheels both ways use."`
	App    string `default:"sample-app" type:"existingdir" help:"App directory (copied; the edit runs touch only the copy)."`
	Runs   int    `default:"3" help:"Runs per situation and way; medians are reported."`
	// The big-dependency case and the choice of what to time.
	BigDeps    string   `placeholder:"SIZE" help:"Add a generated pure-Python distribution of SIZE (e.g. 200MB: ~3,000 files, made here, no download) to the app's requirements, from a wheels directory beside the kit's."`
	Ways       []string `placeholder:"WAY" help:"Ways to time: pipeline (A), podman (B), module (C), minimal (minimal alone, client), module-minimal (minimal alone, module). Default: all (the module's only with --module)."`
	Situations []string `placeholder:"SITUATION" enum:"cold,warm,edit" default:"cold,warm,edit" help:"Situations to time: cold (prunes the engine's whole cache: a machine of its own), warm, edit."`
	ModuleRepo string   `type:"existingdir" placeholder:"DIR" help:"Time the module of another checkout (a worktree of an earlier commit, for before and after); default: the current directory."`
}

// Run prints medians and ratios for cold, warm and after-edit runs.
func (b *BenchCmd) Run(ctx context.Context) error {
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	k, err := kit.Make(ctx, kit.Options{Dir: b.Kit, Log: logf})
	if err != nil {
		return err
	}
	// Under `dagger run` every client would join one session, whose cache no prune
	// can release: give each run a session of its own, as `dagger call` has.
	os.Unsetenv("DAGGER_SESSION_PORT")
	os.Unsetenv("DAGGER_SESSION_TOKEN")
	opts := bench.Options{Kit: k, App: b.App, Runs: b.Runs, Ways: b.Ways, Log: logf}
	for _, s := range b.Situations {
		opts.Situations = append(opts.Situations, map[string]string{"cold": bench.Cold, "warm": bench.Warm, "edit": bench.Edit}[s])
	}
	if b.BigDeps != "" {
		if opts.BigDeps, err = report.ParseSize(b.BigDeps); err != nil {
			return fmt.Errorf("--big-deps: %w", err)
		}
	}
	if err := bench.CheckChoice("way", b.Ways, bench.Ways); err != nil {
		return err
	}
	if b.Module {
		cli := os.Getenv("_EXPERIMENTAL_DAGGER_CLI_BIN")
		if cli == "" {
			if cli, err = exec.LookPath("dagger"); err != nil {
				return fmt.Errorf("no Dagger CLI for the module path: install it, or pass --no-module")
			}
		}
		repo := b.ModuleRepo
		if repo == "" {
			if repo, err = os.Getwd(); err != nil {
				return err
			}
		}
		opts.Module = &bench.Module{CLI: cli, Repo: repo}
	}
	outcome, err := bench.Run(ctx, connectWithProgress, opts)
	if err != nil {
		return err
	}
	outcome.Render(os.Stdout)
	return nil
}

// connectWithProgress opens a session whose progress output goes to stderr and, if
// given, to progress as well (the benchmark reads a cold run's).
func connectWithProgress(ctx context.Context, progress io.Writer) (*dagger.Client, error) {
	out := io.Writer(os.Stderr)
	if progress != nil {
		out = io.MultiWriter(os.Stderr, progress)
	}
	return dagger.Connect(ctx, dagger.WithLogOutput(out))
}
