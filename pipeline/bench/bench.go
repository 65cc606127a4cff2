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

// Options of a benchmark run.
type Options struct {
	// Module, when set, times `dagger call compare` too, as a third way.
	Module *Module
	Kit    *kit.Result
	App    string // the app directory; it is copied, never edited in place
	Runs   int    // runs per situation and way
	Log    func(format string, args ...any)
}

// Result of one situation: every run's seconds for each way, and the sizes seen.
type Result struct {
	Situation string
	Pipeline  []float64 // A: the pipeline's compare (single-stage, multi-stage)
	Podman    []float64 // B: podman, both builds in parallel, run and curl
	Module    []float64 // C: `dagger call compare` of the module, the same two variants
	// ModuleLoads are the cold runs' module loads after the prune (not in C's time).
	ModuleLoads []float64
}

// Sizes are the image sizes each way measured (bytes), by variant.
type Sizes struct {
	Pipeline, Podman, Module map[string]int64
}

// Connect opens a new engine session. Each pipeline run gets a session of its own,
// as each `dagger call` does: a cache prune cannot release what a live session holds.
// Progress, if not nil, also gets the engine's progress output of the session.
type Connect func(ctx context.Context, progress io.Writer) (*dagger.Client, error)

// Run times both ways in the three situations.
func Run(ctx context.Context, connect Connect, opts Options) ([]Result, Sizes, error) {
	if opts.Runs < 1 {
		opts.Runs = 3
	}
	if opts.Log == nil {
		opts.Log = func(string, ...any) {}
	}
	work, err := os.MkdirTemp("", "multistage-bench-")
	if err != nil {
		return nil, Sizes{}, err
	}
	defer os.RemoveAll(work)
	app := filepath.Join(work, "app")
	if err := copyDir(opts.App, app); err != nil {
		return nil, Sizes{}, err
	}
	podman, err := newPodman(ctx, opts.Kit, work)
	if err != nil {
		return nil, Sizes{}, err
	}
	sizes := Sizes{Pipeline: map[string]int64{}, Podman: map[string]int64{}, Module: map[string]int64{}}
	ways := []string{"pipeline", "podman"}
	if opts.Module != nil {
		ways = append(ways, "module")
	}
	// runWay builds, checks and measures both images one way, and says how long it took.
	runWay := func(way string, progress io.Writer) (float64, error) {
		switch way {
		case "pipeline":
			return timePipeline(ctx, connect, progress, opts.Kit, app, sizes.Pipeline)
		case "module":
			return opts.Module.time(ctx, app, opts.Kit.Wheels, progress, sizes.Module)
		default:
			return podman.time(ctx, app, sizes.Podman)
		}
	}
	var results []Result
	edits := 0
	for _, situation := range []string{Cold, Warm, Edit} {
		result := Result{Situation: situation}
		if situation == Warm {
			// Each way's last cold run was followed by another way's prune of the engine's
			// cache: one untimed run per way first, so that a warm run finds its own build.
			for _, way := range ways {
				seconds, err := runWay(way, io.Discard)
				if err != nil {
					return nil, sizes, fmt.Errorf("warming up, %s: %w", way, err)
				}
				opts.Log("bench: warming up, %s: %.2fs", way, seconds)
			}
		}
		for run := 0; run < opts.Runs; run++ {
			for _, way := range ways {
				switch situation {
				case Cold:
					if err := coldStart(ctx, connect, opts.Kit, podman, way); err != nil {
						return nil, sizes, err
					}
					if way == "module" {
						seconds, err := opts.Module.load(ctx)
						if err != nil {
							return nil, sizes, err
						}
						result.ModuleLoads = append(result.ModuleLoads, seconds)
					}
				case Edit:
					edits++
					if err := editApp(app, edits); err != nil {
						return nil, sizes, err
					}
				}
				var progress strings.Builder
				seconds, err := runWay(way, &progress)
				if err == nil && situation == Cold && way != "podman" {
					err = checkInstalledAgain(progress.String())
				}
				if err != nil {
					return nil, sizes, fmt.Errorf("%s, %s: %w", situation, way, err)
				}
				opts.Log("bench: %s, %s, run %d: %.2fs", situation, way, run+1, seconds)
				switch way {
				case "pipeline":
					result.Pipeline = append(result.Pipeline, seconds)
				case "module":
					result.Module = append(result.Module, seconds)
				default:
					result.Podman = append(result.Podman, seconds)
				}
			}
		}
		results = append(results, result)
	}
	return results, sizes, nil
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
		if _, err := pipeline.ImageTarball(image).Digest(ctx); err != nil {
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
	if way == "podman" {
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
	if way == "module" {
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
	for _, ref := range []string{"python:" + pipeline.DefaultPythonVersion, "python:" + pipeline.DefaultPythonVersion + "-slim"} {
		if _, err := client.Container().From(ref).Rootfs().Entries(ctx); err != nil {
			return fmt.Errorf("pulling base %s: %w", ref, err)
		}
	}
	return nil
}

// timePipeline runs the pipeline's compare for single-stage and multi-stage, in a
// session of its own, from connecting to closing.
func timePipeline(ctx context.Context, connect Connect, progress io.Writer, k *kit.Result, app string, sizes map[string]int64) (float64, error) {
	start := time.Now()
	client, err := connect(ctx, progress)
	if err != nil {
		return 0, err
	}
	defer client.Close()
	p, err := pipeline.New(ctx, client, pipeline.Options{
		BuilderBase: client.Container().Import(client.Host().File(k.Builder)),
		RuntimeBase: client.Container().Import(client.Host().File(k.Runtime)),
		// Named, as the CLI names a tarball base: an imported image has no registry digest to ask for.
		BuilderBaseName: "offline kit " + filepath.Base(k.Builder),
		RuntimeBaseName: "offline kit " + filepath.Base(k.Runtime),
		Wheels:          client.Host().Directory(k.Wheels),
		App:             client.Host().Directory(app),
		Variants:        []string{pipeline.VariantSingleStage, pipeline.VariantMultiStage},
	})
	if err != nil {
		return 0, err
	}
	report, _ := p.Compare(ctx)
	seconds := time.Since(start).Seconds()
	if !report.OK {
		return 0, fmt.Errorf("compare failed: %s", report.Verdict())
	}
	for _, image := range report.Images {
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

// Render prints the medians and ratios, and the sizes both ways measured.
func Render(w io.Writer, results []Result, sizes Sizes) {
	module := len(results) > 0 && len(results[0].Module) > 0
	if module {
		fmt.Fprintf(w, "%-20s %14s %14s %8s %14s %8s\n", "SITUATION", "PIPELINE (A)", "PODMAN (B)", "A/B", "MODULE (C)", "C/B")
	} else {
		fmt.Fprintf(w, "%-20s %14s %14s %8s\n", "SITUATION", "PIPELINE (A)", "PODMAN (B)", "A/B")
	}
	for _, r := range results {
		a, b := Median(r.Pipeline), Median(r.Podman)
		fmt.Fprintf(w, "%-20s %13.2fs %13.2fs %7.2fx", r.Situation, a, b, a/b)
		if module {
			c := Median(r.Module)
			fmt.Fprintf(w, " %13.2fs %7.2fx", c, c/b)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\n%-20s %14s %14s %14s\n", "IMAGE", "PIPELINE", "PODMAN", "MODULE")
	for _, v := range []string{pipeline.VariantSingleStage, pipeline.VariantMultiStage} {
		fmt.Fprintf(w, "%-20s %14s %14s %14s\n", v, pipeline.FormatBytes(sizes.Pipeline[v]), pipeline.FormatBytes(sizes.Podman[v]), pipeline.FormatBytes(sizes.Module[v]))
	}
	fmt.Fprintf(w, "\nmedians of %d runs; each run builds, starts, checks and measures both images\n", len(results[0].Pipeline))
	if loads := results[0].ModuleLoads; module && len(loads) > 0 {
		fmt.Fprintf(w, "C, cold: the module is loaded after the prune and before the clock, as podman's bases are there before its clock; that load (`dagger call variants`: the module's runtime built again and run once) took %.2fs\n", Median(loads))
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
