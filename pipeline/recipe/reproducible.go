package recipe

import (
	"strconv"

	"dagger.io/dagger"
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
func (r *Recipes) stamped(dir *dagger.Directory) *dagger.Directory {
	return dir.WithTimestamps(r.opts.SourceDateEpoch)
}

// stepEnv prepares a container for a step whose output ends up in an image: tools that
// honour SOURCE_DATE_EPOCH (py_compile writes hash-based bytecode, useradd dates the
// password change with it) do; a rebuild for --verify-reproducible gets a variable of
// its own, so that the engine runs the step again instead of answering from its cache.
func (r *Recipes) stepEnv(ctr *dagger.Container) *dagger.Container {
	ctr = ctr.WithEnvVariable("SOURCE_DATE_EPOCH", strconv.Itoa(r.opts.SourceDateEpoch))
	if r.opts.Rebuild != "" {
		ctr = ctr.WithEnvVariable("MULTISTAGE_REBUILD", r.opts.Rebuild)
	}
	return ctr
}

// handoffPath is where a builder lays out what crosses to an image, dated.
const handoffPath = "/tmp/multistage-handoff"

// handoff is src of the builder as a tree to copy to "/": placed at dest, every file,
// link and directory on the way carrying the source date. Dated by scripts/stamp.py in
// a container of its own: Dagger's Directory.withTimestamps follows links, and fails
// on a venv's bin/python, whose target lies outside the tree.
func (r *Recipes) handoff(builder *dagger.Container, src, dest string) *dagger.Directory {
	return r.scripts.Mount(builder).
		WithExec(scripts.Command([]string{"python"}, "stamp.py", handoffPath, strconv.Itoa(r.opts.SourceDateEpoch), src, dest)).
		Directory(handoffPath)
}

// appSourcePath is where the app directory (as sent) is mounted to be dated.
const appSourcePath = "/tmp/multistage-app"

// placedApp is the app directory (as sent) at /app, every file, link and directory
// on the way carrying the source date: dated by stamp.py in a container of the
// runtime base, as the handoff is, since withTimestamps would fail on a link that
// leads nowhere and leave a link's own time as the checkout's. A link stays a link.
// One container for every variant, so an app edit runs it once.
func (r *Recipes) placedApp() *dagger.Directory {
	return r.handoff(r.stepEnv(r.runtimeBase()).WithMountedDirectory(appSourcePath, r.app), appSourcePath, AppPath)
}

// placed is dir at path (relative to the root), with every directory on the way and
// every file carrying the source date: copying to "/" adds no directory of the
// engine's own making, with the time of the copy.
func (r *Recipes) placed(path string, dir *dagger.Directory) *dagger.Directory {
	return r.stamped(r.client.Directory().WithDirectory(path, dir))
}

// withChanges runs step on image in a container of its own and adds what the step
// changed in the filesystem as one layer whose files all carry the source date. An
// exec's own layer would carry the time it ran (and its mount points); this one is
// the same on every build of the same inputs. The step's environment stays behind.
func (r *Recipes) withChanges(image *dagger.Container, step func(*dagger.Container) *dagger.Container) *dagger.Container {
	changes := image.Rootfs().Diff(step(r.stepEnv(image)).Rootfs())
	for _, mount := range stepMountPoints {
		changes = changes.WithoutDirectory(mount)
	}
	return image.WithDirectory("/", r.stamped(changes))
}
