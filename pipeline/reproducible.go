package pipeline

import (
	"context"
	"strconv"
	"strings"
	"time"

	"dagger.io/dagger"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/multistage/multistage/pipeline/failure"
	"github.com/multistage/multistage/pipeline/measure"
	"github.com/multistage/multistage/pipeline/scripts"
)

// DefaultSourceDateEpoch is the time every file the pipeline writes carries when
// SOURCE_DATE_EPOCH is not given: 0 (1970-01-01), the same on every machine and every
// day, unlike the app directory's own times (a fresh checkout has new ones).
const DefaultSourceDateEpoch = 0

// Paths where an install step mounts something for itself: the mount points are
// left behind in the step's filesystem, and are not part of what it installed.
var stepMountPoints = []string{wheelsPath, projectPath, scripts.Path}

// stamped gives every file and directory of dir the source date, so that the same
// content makes the same layer whenever it is built.
func (p *Pipeline) stamped(dir *dagger.Directory) *dagger.Directory {
	return dir.WithTimestamps(p.opts.SourceDateEpoch)
}

// stepEnv prepares a container for a step whose output ends up in an image: tools that
// honour SOURCE_DATE_EPOCH (py_compile writes hash-based bytecode, useradd dates the
// password change with it) do; a rebuild for --verify-reproducible gets a variable of
// its own, so that the engine runs the step again instead of answering from its cache.
func (p *Pipeline) stepEnv(ctr *dagger.Container) *dagger.Container {
	ctr = ctr.WithEnvVariable("SOURCE_DATE_EPOCH", strconv.Itoa(p.opts.SourceDateEpoch))
	if p.opts.Rebuild != "" {
		ctr = ctr.WithEnvVariable("MULTISTAGE_REBUILD", p.opts.Rebuild)
	}
	return ctr
}

// handoffPath is where a builder lays out what crosses to an image, dated.
const handoffPath = "/tmp/multistage-handoff"

// handoff is src of the builder as a tree to copy to "/": placed at dest, every file,
// link and directory on the way carrying the source date. Dated by scripts/stamp.py in
// a container of its own: Dagger's Directory.withTimestamps follows links, and fails
// on a venv's bin/python, whose target lies outside the tree.
func (p *Pipeline) handoff(builder *dagger.Container, src, dest string) *dagger.Directory {
	return p.scripts.Mount(builder).
		WithExec(scripts.Command([]string{"python"}, "stamp.py", handoffPath, strconv.Itoa(p.opts.SourceDateEpoch), src, dest)).
		Directory(handoffPath)
}

// appSourcePath is where the app directory (as sent) is mounted to be dated.
const appSourcePath = "/tmp/multistage-app"

// placedApp is the app directory (as sent) at /app, every file, link and directory
// on the way carrying the source date: dated by stamp.py in a container of the
// runtime base, as the handoff is, since withTimestamps would fail on a link that
// leads nowhere and leave a link's own time as the checkout's. A link stays a link.
// One container for every variant, so an app edit runs it once.
func (p *Pipeline) placedApp() *dagger.Directory {
	return p.handoff(p.stepEnv(p.runtimeBase()).WithMountedDirectory(appSourcePath, p.app), appSourcePath, appPath)
}

// placed is dir at path (relative to the root), with every directory on the way and
// every file carrying the source date: copying to "/" adds no directory of the
// engine's own making, with the time of the copy.
func (p *Pipeline) placed(path string, dir *dagger.Directory) *dagger.Directory {
	return p.stamped(p.client.Directory().WithDirectory(path, dir))
}

// withChanges runs step on image in a container of its own and adds what the step
// changed in the filesystem as one layer whose files all carry the source date. An
// exec's own layer would carry the time it ran (and its mount points); this one is
// the same on every build of the same inputs. The step's environment stays behind.
func (p *Pipeline) withChanges(image *dagger.Container, step func(*dagger.Container) *dagger.Container) *dagger.Container {
	changes := image.Rootfs().Diff(step(p.stepEnv(image)).Rootfs())
	for _, mount := range stepMountPoints {
		changes = changes.WithoutDirectory(mount)
	}
	return image.WithDirectory("/", p.stamped(changes))
}

// withSourceDate dates an exported image's config with the source date: the engine
// writes the time of the export into `created` and into every history entry (Dagger
// has no option for it), which alone would give every export a new config digest.
// The layers are left as they are.
func withSourceDate(image v1.Image, sourceDateEpoch int) (v1.Image, error) {
	file, err := image.ConfigFile()
	if err != nil {
		return nil, err
	}
	file = file.DeepCopy()
	date := v1.Time{Time: time.Unix(int64(sourceDateEpoch), 0).UTC()}
	file.Created = date
	for i := range file.History {
		file.History[i].Created = date
	}
	return mutate.ConfigFile(image, file)
}

// Reproducibility is what a second build of an image, every step run again instead
// of coming from the engine's cache, says about it.
type Reproducibility struct {
	// Reproducible is true when the second build gave the same layers, byte for byte.
	Reproducible bool `json:"reproducible"`
	// Layer (1-based) is the first layer that differs, Path the first file that
	// differs between the two builds and Difference what differs about it.
	Layer      int    `json:"layer,omitempty"`
	Path       string `json:"path,omitempty"`
	Difference string `json:"difference,omitempty"`
	// Also are the next files that differ (a few), since the first is often a
	// record of another (a dist-info RECORD holds the hashes of its files).
	Also []string `json:"also,omitempty"`
	// Error says why the second build could not be made or read.
	Error string `json:"error,omitempty"`
}

// verifyReproducible builds variant a second time with every step run again and
// compares its layers with first's; where they differ, it names the first file that does.
func (p *Pipeline) verifyReproducible(ctx context.Context, variant Variant, first *dagger.Container, measured measure.Measurement) Reproducibility {
	again := *p
	again.opts.Rebuild = strconv.FormatInt(time.Now().UnixNano(), 10)
	again.native = &nativeScanOnce{} // the rebuild scans again, as it runs every step again
	second, err := again.buildSynced(ctx, variant)
	if err != nil {
		return Reproducibility{Error: "the second build failed: " + failure.Describe(err)}
	}
	remeasured, err := p.Measure(ctx, second)
	if err != nil {
		return Reproducibility{Error: "the second build could not be measured: " + failure.Line(err)}
	}
	layer := firstDifferingLayer(measured.Layers, remeasured.Layers)
	if layer == 0 {
		return Reproducibility{Reproducible: true}
	}
	result := Reproducibility{Layer: layer}
	out, err := p.scripts.Mount(p.runtimeBase()).
		WithMountedDirectory("/tmp/first", first.Rootfs()).
		WithMountedDirectory("/tmp/second", second.Rootfs()).
		WithExec(scripts.Command([]string{"python"}, "tree_diff.py", "/tmp/first", "/tmp/second")).
		Stdout(ctx)
	if err != nil {
		result.Error = "the two builds could not be compared: " + failure.Line(err)
		return result
	}
	for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
		path, what, ok := strings.Cut(line, "\t")
		switch {
		case !ok:
		case i == 0:
			result.Path, result.Difference = path, what
		default:
			result.Also = append(result.Also, path+" ("+what+")")
		}
	}
	return result
}

// firstDifferingLayer is the 1-based index of the first layer whose digest differs
// (or that only one build has), 0 when both builds have the same layers.
func firstDifferingLayer(a, b []measure.Layer) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		if i >= len(a) || i >= len(b) || a[i].Digest != b[i].Digest {
			return i + 1
		}
	}
	return 0
}
