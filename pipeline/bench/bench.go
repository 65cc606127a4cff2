// Package bench times the pipeline against the Dockerfile way (podman), side by side,
// on the same offline-kit bases and wheels: cold, warm, and after an app.py edit.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline"
	"github.com/multistage/multistage/pipeline/kit"
	"github.com/multistage/multistage/pipeline/measure"
	"github.com/multistage/multistage/pipeline/recipe"
	"github.com/multistage/multistage/pipeline/report"
)

// SampleAppBody is what the bundled sample app answers at / (its pyproject.toml asks
// the check for it too); the podman way checks it by hand.
const SampleAppBody = "Hello, Multi-Stage Build Python Application!"

// Situations, in the order they run.
const (
	Cold = "cold"
	Warm = "warm"
	Edit = "after app.py edit"
)

// Ways of timing, in the order each run takes them: the pipeline's compare of
// single-stage and multi-stage through the client (A), podman building the same two
// as Dockerfiles (B), the module's `dagger call compare` of the same two (C), and
// minimal alone, through the client and through the module.
const (
	WayPipeline      = "pipeline"
	WayPodman        = "podman"
	WayModule        = "module"
	WayMinimal       = "minimal"
	WayModuleMinimal = "module-minimal"
)

// Ways in order; Situations in order.
var (
	Ways       = []string{WayPipeline, WayPodman, WayModule, WayMinimal, WayModuleMinimal}
	Situations = []string{Cold, Warm, Edit}
)

// wayColumns are the table's column headings.
var wayColumns = map[string]string{
	WayPipeline:      "PIPELINE (A)",
	WayPodman:        "PODMAN (B)",
	WayModule:        "MODULE (C)",
	WayMinimal:       "MINIMAL (A)",
	WayModuleMinimal: "MINIMAL (C)",
}

// Options of a benchmark run.
type Options struct {
	// Module, when set, times `dagger call compare` too: the module ways need it.
	Module *Module
	Kit    *kit.Result
	App    string // the app directory; it is copied, never edited in place
	Runs   int    // runs per situation and way
	// Ways to time (default: every way, those of the module only with Module).
	Ways []string
	// Situations to time (default: all three, in order). A run without cold needs no
	// prune of the engine's cache.
	Situations []string
	// BigDeps, when above zero, adds a generated pure-Python distribution of that
	// many bytes to the app's requirements (PrepareBigDeps), from a wheels directory
	// beside the kit's that every way installs from.
	BigDeps int64
	Log     func(format string, args ...any)
}

// Result of one situation: every run's seconds for each way.
type Result struct {
	Situation string
	Seconds   map[string][]float64 // by way
	// Retried counts, by way, the warm and edit runs not counted because their
	// progress output shows a pip install that ran: the engine's cache had lost the
	// build between runs (its garbage collector frees space under disk pressure).
	// NotWarm counts those kept all the same, after maxRetries tries.
	Retried, NotWarm map[string]int
	// ModuleLoads are the cold runs' module loads after the prune (not in C's time).
	ModuleLoads []float64
}

// Sizes are the image sizes each path measured (bytes), by variant: minimal's come
// from the minimal ways.
type Sizes struct {
	Pipeline, Podman, Module map[string]int64
}

// Outcome of a benchmark run.
type Outcome struct {
	Ways    []string
	Results []Result
	Sizes   Sizes
	App     string
	BigDeps *BigDeps // nil without Options.BigDeps
}

// Connect opens a new engine session. Each pipeline run gets a session of its own,
// as each `dagger call` does: a cache prune cannot release what a live session holds.
// Progress, if not nil, also gets the engine's progress output of the session.
type Connect func(ctx context.Context, progress io.Writer) (*dagger.Client, error)

// CheckChoice says which of the chosen names is not one of known.
func CheckChoice(what string, chosen, known []string) error {
	for _, c := range chosen {
		if !slices.Contains(known, c) {
			return fmt.Errorf("unknown %s %q: choose from %s", what, c, strings.Join(known, ", "))
		}
	}
	return nil
}

// Run times the chosen ways in the chosen situations.
func Run(ctx context.Context, connect Connect, opts Options) (*Outcome, error) {
	if opts.Runs < 1 {
		opts.Runs = 3
	}
	if opts.Log == nil {
		opts.Log = func(string, ...any) {}
	}
	ways := opts.Ways
	if len(ways) == 0 {
		for _, way := range Ways {
			if opts.Module != nil || !isModuleWay(way) {
				ways = append(ways, way)
			}
		}
	}
	situations := opts.Situations
	if len(situations) == 0 {
		situations = Situations
	}
	if err := CheckChoice("way", ways, Ways); err != nil {
		return nil, err
	}
	if err := CheckChoice("situation", situations, Situations); err != nil {
		return nil, err
	}
	// In the table's order, whatever the order asked.
	ways = slices.DeleteFunc(slices.Clone(Ways), func(w string) bool { return !slices.Contains(ways, w) })
	situations = slices.DeleteFunc(slices.Clone(Situations), func(s string) bool { return !slices.Contains(situations, s) })
	if opts.Module == nil && (slices.Contains(ways, WayModule) || slices.Contains(ways, WayModuleMinimal)) {
		return nil, errors.New("the module ways need the Dagger CLI (Options.Module)")
	}
	work, err := os.MkdirTemp("", "multistage-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	app := filepath.Join(work, "app")
	if err := copyDir(opts.App, app); err != nil {
		return nil, err
	}
	k := *opts.Kit
	out := &Outcome{Ways: ways, App: opts.App,
		Sizes: Sizes{Pipeline: map[string]int64{}, Podman: map[string]int64{}, Module: map[string]int64{}}}
	if opts.BigDeps > 0 {
		if out.BigDeps, err = PrepareBigDeps(k.Wheels, opts.BigDeps); err != nil {
			return nil, fmt.Errorf("making the big dependency: %w", err)
		}
		opts.Log("bench: %s %s (%d files, wheel %s) in %s", BigDepsProject, report.FormatBytes(out.BigDeps.Size), out.BigDeps.Files, out.BigDeps.Wheel, out.BigDeps.Wheels)
		k.Wheels = out.BigDeps.Wheels
		if err := requireBigDeps(app); err != nil {
			return nil, err
		}
	}
	var podman *podmanWay
	if slices.Contains(ways, WayPodman) {
		if podman, err = newPodman(ctx, &k, work); err != nil {
			return nil, err
		}
	}
	sizes := out.Sizes
	// runWay builds, checks and measures one way's images, and says how long it took.
	runWay := func(way string, progress io.Writer) (float64, error) {
		switch way {
		case WayPipeline:
			return timePipeline(ctx, connect, progress, &k, app, moduleVariants, sizes.Pipeline)
		case WayMinimal:
			return timePipeline(ctx, connect, progress, &k, app, []string{recipe.VariantMinimal}, sizes.Pipeline)
		case WayModule:
			return opts.Module.time(ctx, app, k.Wheels, moduleVariants, progress, sizes.Module)
		case WayModuleMinimal:
			return opts.Module.time(ctx, app, k.Wheels, []string{recipe.VariantMinimal}, progress, sizes.Module)
		default:
			return podman.time(ctx, app, sizes.Podman)
		}
	}
	edits, warmedUp := 0, false
	for _, situation := range situations {
		result := Result{Situation: situation, Seconds: map[string][]float64{}, Retried: map[string]int{}, NotWarm: map[string]int{}}
		if situation != Cold && !warmedUp {
			// Each way's last cold run was followed by another way's prune of the engine's
			// cache (and without cold runs, nothing was built yet): one untimed run per way
			// first, so that a warm run finds its own build.
			for _, way := range ways {
				seconds, err := runWay(way, io.Discard)
				if err != nil {
					return nil, fmt.Errorf("warming up, %s: %w", way, err)
				}
				opts.Log("bench: warming up, %s: %.2fs", way, seconds)
			}
			warmedUp = true
		}
		for run := 0; run < opts.Runs; run++ {
			for _, way := range ways {
				for try := 0; ; try++ {
					switch situation {
					case Cold:
						if err := coldStart(ctx, connect, &k, podman, way); err != nil {
							return nil, err
						}
						if isModuleWay(way) {
							seconds, err := opts.Module.load(ctx)
							if err != nil {
								return nil, err
							}
							result.ModuleLoads = append(result.ModuleLoads, seconds)
						}
					case Edit:
						edits++
						if err := editApp(app, edits); err != nil {
							return nil, err
						}
					}
					var progress strings.Builder
					seconds, err := runWay(way, &progress)
					if err == nil && situation == Cold && way != WayPodman {
						err = checkInstalledAgain(progress.String())
					}
					if err != nil {
						return nil, fmt.Errorf("%s, %s: %w", situation, way, err)
					}
					// Neither a warm run nor an edit installs anything: a run that did had
					// lost its build since the last run (the engine's garbage collector frees
					// space under disk pressure), so it was not what it is called. It is
					// run again, at most maxRetries times; the last is kept, marked.
					if ran, _ := PipInstalls(progress.String()); ran > 0 && situation != Cold && way != WayPodman {
						if try < maxRetries {
							opts.Log("bench: %s, %s, run %d: %.2fs, not counted: it ran pip install (the engine's cache had lost the build); again", situation, way, run+1, seconds)
							result.Retried[way]++
							continue
						}
						result.NotWarm[way]++
					}
					opts.Log("bench: %s, %s, run %d: %.2fs", situation, way, run+1, seconds)
					result.Seconds[way] = append(result.Seconds[way], seconds)
					break
				}
			}
		}
		out.Results = append(out.Results, result)
	}
	return out, nil
}

// maxRetries is how many times a warm or edit run that found its build gone is run again.
const maxRetries = 2

func isModuleWay(way string) bool { return way == WayModule || way == WayModuleMinimal }

// requireBigDeps names the big distribution in the app copy's requirements.txt.
func requireBigDeps(app string) error {
	path := filepath.Join(app, "requirements.txt")
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--big-deps adds a line to the app's requirements.txt: %w", err)
	}
	if len(data) > 0 && !strings.HasSuffix(string(data), "\n") {
		data = append(data, '\n')
	}
	return os.WriteFile(path, append(data, BigDepsProject+"\n"...), 0o644)
}

// loadBases imports the kit's bases, makes their gzip layers (which a base pulled
// from a registry comes with) and unpacks them, as `podman load` has done for podman.
func loadBases(ctx context.Context, connect Connect, k *kit.Result) error {
	client, err := connect(ctx, nil)
	if err != nil {
		return err
	}
	defer client.Close()
	for _, base := range []string{k.Builder, k.Runtime} {
		image := client.Container().Import(client.Host().File(base))
		if _, err := measure.ImageTarball(image).Digest(ctx); err != nil {
			return fmt.Errorf("loading base %s: %w", base, err)
		}
		// Unpacked too, as podman's loaded bases are.
		if _, err := image.Rootfs().Entries(ctx); err != nil {
			return fmt.Errorf("unpacking base %s: %w", base, err)
		}
	}
	return nil
}

// coldStart empties the cache of one way, then makes sure the bases are there:
// podman keeps its loaded images through its prune; the engine's are loaded again
// before the clock starts.
func coldStart(ctx context.Context, connect Connect, k *kit.Result, podman *podmanWay, way string) error {
	if way == WayPodman {
		return podman.prune(ctx)
	}
	client, err := connect(ctx, nil)
	if err != nil {
		return err
	}
	err = client.Engine().LocalCache().Prune(ctx)
	client.Close()
	if err != nil {
		return err
	}
	if err := loadBases(ctx, connect, k); err != nil {
		return err
	}
	if isModuleWay(way) {
		return pullBases(ctx, connect)
	}
	return nil
}

// pullBases pulls the bases the module's compare starts from by their tags (through
// the registry the engine mirrors Docker Hub to), unpacked, as an engine that has run
// any earlier compare has them: the module's cold run, like podman's, starts with its
// bases present.
func pullBases(ctx context.Context, connect Connect) error {
	client, err := connect(ctx, nil)
	if err != nil {
		return err
	}
	defer client.Close()
	for _, ref := range []string{"python:" + recipe.DefaultPythonVersion, "python:" + recipe.DefaultPythonVersion + "-slim"} {
		if _, err := client.Container().From(ref).Rootfs().Entries(ctx); err != nil {
			return fmt.Errorf("pulling base %s: %w", ref, err)
		}
	}
	return nil
}

// timePipeline runs the pipeline's compare of variants, in a session of its own,
// from connecting to closing.
func timePipeline(ctx context.Context, connect Connect, progress io.Writer, k *kit.Result, app string, variants []string, sizes map[string]int64) (float64, error) {
	start := time.Now()
	client, err := connect(ctx, progress)
	if err != nil {
		return 0, err
	}
	defer client.Close()
	p, err := pipeline.New(ctx, client, pipeline.Options{
		Options: recipe.Options{
			BuilderBase: client.Container().Import(client.Host().File(k.Builder)),
			RuntimeBase: client.Container().Import(client.Host().File(k.Runtime)),
			// Named, as the CLI names a tarball base: an imported image has no registry digest to ask for.
			BuilderBaseName: "offline kit " + filepath.Base(k.Builder),
			RuntimeBaseName: "offline kit " + filepath.Base(k.Runtime),
			Wheels:          client.Host().Directory(k.Wheels),
			App:             client.Host().Directory(app),
		},
		Variants: variants,
	})
	if err != nil {
		return 0, err
	}
	compared, _ := p.Compare(ctx)
	seconds := time.Since(start).Seconds()
	if !compared.OK {
		return 0, fmt.Errorf("compare failed: %s", compared.Verdict())
	}
	for _, image := range compared.Images {
		sizes[image.Variant] = image.Sizes.UncompressedBytes
	}
	return seconds, nil
}

// An exec's line in the engine's progress output ("12 : ┆ withExec pip install …"),
// and the line that ends it as answered from the cache ("12 : ┆ Container.withExec CACHED").
var (
	ansiColour     = regexp.MustCompile(`\x1b\[[0-9;]*[a-zA-Z]`)
	pipInstallLine = regexp.MustCompile(`(?m)^(\d+)\s*:.*\bwithExec\b.*\bpip\b.*\binstall\b.* -r `)
	cachedExecLine = regexp.MustCompile(`(?m)^(\d+)\s*:.*Container\.withExec CACHED`)
)

// PipInstalls reads the engine's progress output: how many steps installing the
// dependencies (`pip install … -r requirements.txt`) ran, and how many were answered
// from the cache. (A project that is a package is installed by a step of its own,
// which follows the source.)
func PipInstalls(progress string) (ran, cached int) {
	progress = ansiColour.ReplaceAllString(progress, "")
	cachedSpans := map[string]bool{}
	for _, m := range cachedExecLine.FindAllStringSubmatch(progress, -1) {
		cachedSpans[m[1]] = true
	}
	seen := map[string]bool{}
	for _, m := range pipInstallLine.FindAllStringSubmatch(progress, -1) {
		if seen[m[1]] {
			continue // the same step, named again
		}
		seen[m[1]] = true
		if cachedSpans[m[1]] {
			cached++
		} else {
			ran++
		}
	}
	return ran, cached
}

// checkInstalledAgain reads a cold run's progress output: every pip install must have
// run, none answered from the cache. An engine can keep build results through a prune
// (one that had run this module's tests kept them here), and a cold run on it replays.
func checkInstalledAgain(progress string) error {
	ran, cached := PipInstalls(progress)
	switch {
	case ran+cached == 0:
		return errors.New("a cold run's progress output shows no pip install: cannot tell whether it was cold")
	case cached > 0:
		return errors.New("a cold run answered pip install from the engine's cache: the engine kept build results through the prune; run the benchmark on an engine whose cache a prune empties (a new engine state)")
	}
	return nil
}

// editApp changes app.py only, a little differently each time.
func editApp(app string, n int) error {
	f, err := os.OpenFile(filepath.Join(app, "app.py"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "\n# benchmark edit %d\n", n)
	return err
}

// Median of values (0 for none).
func Median(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	mid := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[mid]
	}
	return (sorted[mid-1] + sorted[mid]) / 2
}

// Render prints the medians, podman's as the ratios' base where it ran, the sizes
// each path measured, and the case.
func (o *Outcome) Render(w io.Writer) {
	podman := slices.Contains(o.Ways, WayPodman)
	fmt.Fprintf(w, "%-20s", "SITUATION")
	for _, way := range o.Ways {
		fmt.Fprintf(w, " %14s", wayColumns[way])
		if podman && (way == WayPipeline || way == WayModule) {
			fmt.Fprintf(w, " %7s", map[string]string{WayPipeline: "A/B", WayModule: "C/B"}[way])
		}
	}
	fmt.Fprintln(w)
	runs, rebuilt := 0, false
	for _, r := range o.Results {
		fmt.Fprintf(w, "%-20s", r.Situation)
		b := Median(r.Seconds[WayPodman])
		for _, way := range o.Ways {
			seconds := Median(r.Seconds[way])
			runs = max(runs, len(r.Seconds[way]))
			if r.NotWarm[way] > 0 {
				rebuilt = true
				fmt.Fprintf(w, " %12.2fs*", seconds)
			} else {
				fmt.Fprintf(w, " %13.2fs", seconds)
			}
			if podman && (way == WayPipeline || way == WayModule) {
				fmt.Fprintf(w, " %6.2fx", seconds/b)
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\n%-20s %14s %14s %14s\n", "IMAGE", "PIPELINE", "PODMAN", "MODULE")
	for _, v := range []string{recipe.VariantSingleStage, recipe.VariantMultiStage, recipe.VariantMinimal} {
		measured := func(sizes map[string]int64) string {
			if n, ok := sizes[v]; ok {
				return report.FormatBytes(n)
			}
			return "-"
		}
		if _, ok := o.Sizes.Pipeline[v]; !ok && v == recipe.VariantMinimal {
			if _, ok := o.Sizes.Module[v]; !ok {
				continue
			}
		}
		fmt.Fprintf(w, "%-20s %14s %14s %14s\n", v, measured(o.Sizes.Pipeline), measured(o.Sizes.Podman), measured(o.Sizes.Module))
	}
	fmt.Fprintf(w, "\nmedians of %d runs; each run builds, starts, checks and measures its images (A, B, C: single-stage and multi-stage; MINIMAL: minimal alone)\n", runs)
	if o.BigDeps != nil {
		fmt.Fprintf(w, "app: %s and %s, a generated pure-Python distribution of %s in %d files\n", filepath.Base(o.App), BigDepsProject, report.FormatBytes(o.BigDeps.Size), o.BigDeps.Files)
	} else {
		fmt.Fprintf(w, "app: %s\n", filepath.Base(o.App))
	}
	if rebuilt {
		fmt.Fprintf(w, "* some of these runs installed the requirements again %d times running: the engine's cache kept losing the build between runs (its garbage collector; by default it frees space while less than 20%% of the disk is available), so they were not warm; the log says which\n", maxRetries+1)
	}
	var retried []string
	for _, r := range o.Results {
		for _, way := range o.Ways {
			if n := r.Retried[way]; n > 0 {
				retried = append(retried, fmt.Sprintf("%s, %s: %d", r.Situation, way, n))
			}
		}
	}
	if len(retried) > 0 {
		fmt.Fprintf(w, "runs run again because they installed the requirements again (the engine's cache had lost the build): %s\n", strings.Join(retried, "; "))
	}
	if len(o.Results) > 0 && len(o.Results[0].ModuleLoads) > 0 {
		fmt.Fprintf(w, "C, cold: the module is loaded after the prune and before the clock, as podman's bases are there before its clock; that load (`dagger call variants`: the module's runtime built again and run once) took %.2fs\n", Median(o.Results[0].ModuleLoads))
	}
}

func copyDir(from, to string) error {
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), "Dockerfile") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
