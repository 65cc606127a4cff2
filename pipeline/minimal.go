package pipeline

import (
	_ "embed"
	"strconv"

	"dagger.io/dagger"
)

//go:embed assemble.py
var assembleScript string

// minimalRoot is where the builder assembles the minimal image's root filesystem.
const minimalRoot = "/tmp/multistage-minimal-root"

// Minimal is a production image on scratch that holds only what the app needs to
// run: the interpreter, the pruned standard library, the shared libraries they link
// against, the venv without pip, the app, CA certificates, time zones and a non-root
// user. No shell, no package manager, no pip, no compiler. One layer.
//
// The builder assembles the root (pipeline/assemble.py says what goes in and why);
// keep names standard-library modules that the pruning rule would drop.
func (p *Pipeline) Minimal(keep ...string) *dagger.Container {
	uid := strconv.Itoa(AppUID)
	assembled := p.Builder().
		WithDirectory(appPath, p.stamped(p.app)).
		WithExec(append(append([]string{"python", "-c", assembleScript, minimalRoot, venvPath, appPath, uid}, libArgs(p.opts.RuntimeLibs)...), keep...)).
		WithExec([]string{"python", "-c", stampScript, minimalRoot, strconv.Itoa(p.opts.SourceDateEpoch)})

	// The handoff: one root filesystem, assembled in the builder, becomes the image.
	// Copied into an empty directory first, so the image is that one layer and
	// carries none of the builder's.
	root := p.client.Directory().WithDirectory("/", assembled.Directory(minimalRoot))
	return p.client.Container().
		WithRootfs(root).
		With(p.runsAsProduction("/usr/local/bin:/usr/bin:/bin")).
		WithEnvVariable("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt").
		WithLabel("org.opencontainers.image.title", "multistage minimal")
}

// libArgs passes the libraries the user named to assemble.py.
func libArgs(libs []string) []string {
	args := make([]string, len(libs))
	for i, lib := range libs {
		args[i] = "--lib=" + lib
	}
	return args
}
