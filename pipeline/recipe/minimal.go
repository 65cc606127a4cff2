package recipe

import (
	"strconv"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline/scripts"
)

// minimalRoot is where the builder assembles the minimal image's root filesystem.
const minimalRoot = "/tmp/multistage-minimal-root"

// Minimal is a production image on scratch that holds only what the app needs to
// run: the interpreter, the pruned standard library, the shared libraries they link
// against, the venv without pip, the app, CA certificates, time zones and a non-root
// user. No shell, no package manager, no pip, no compiler.
//
// Three layers, each changing only when what it holds changes: the base (interpreter,
// standard library, their libraries, certificates, time zones, users), the venv (and
// the libraries it links beyond the base's), and the app. The assembly never sees the
// app, so an app edit reuses the first two however much the dependencies weigh, and a
// registry receives only the app's layer.
//
// The builder assembles the two trees (pipeline/scripts/assemble.py says what goes in and
// why); keep names standard-library modules that the pruning rule would drop.
func (r *Recipes) Minimal(keep ...string) *dagger.Container {
	assembled := r.minimalAssembly(keep...)

	// The handoff: the trees assembled in the builder become the image's layers.
	// The base is copied into an empty directory first, so the image carries none of
	// the builder's layers.
	base := r.client.Directory().WithDirectory("/", assembled.Directory(minimalRoot+"/base"))
	return r.client.Container().
		WithRootfs(base).
		WithDirectory("/", assembled.Directory(minimalRoot+"/venv")).
		// The app stays owned by root, so the user that runs it cannot change it.
		WithDirectory("/", r.placedApp()).
		With(r.runsAsProduction("/usr/local/bin:/usr/bin:/bin")).
		WithEnvVariable("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt").
		WithLabel("org.opencontainers.image.title", "multistage minimal")
}

// MinimalTrees is the builder with the minimal image's trees laid out, and those
// trees (its base and its venv): what the SBOM names packages in.
func (r *Recipes) MinimalTrees() (*dagger.Container, string, string) {
	return r.minimalAssembly(r.opts.KeepModules...), minimalRoot + "/base", minimalRoot + "/venv"
}

// minimalAssembly is the builder once assemble.py has laid out the minimal image's
// trees under minimalRoot (base/ and venv/), dated.
func (r *Recipes) minimalAssembly(keep ...string) *dagger.Container {
	uid := strconv.Itoa(AppUID)
	python := []string{"python"}
	return r.scripts.Mount(r.Builder()).
		WithExec(scripts.Command(python, "assemble.py", append(append([]string{minimalRoot, VenvPath, uid}, libArgs(r.opts.RuntimeLibs)...), keep...)...)).
		WithExec(scripts.Command(python, "stamp.py", minimalRoot, strconv.Itoa(r.opts.SourceDateEpoch))).
		WithoutMount(scripts.Path)
}

// libArgs passes the libraries the user named to assemble.py.
func libArgs(libs []string) []string {
	args := make([]string, len(libs))
	for i, lib := range libs {
		args[i] = "--lib=" + lib
	}
	return args
}
