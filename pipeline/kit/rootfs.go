package kit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// RootFS is one Debian root filesystem the kit makes with mmdebstrap.
type RootFS struct {
	Name     string
	Suite    string
	Variant  string
	Packages []string
}

// slimmed keeps documentation, manuals and translations out, as the official slim images do.
var slimmed = []string{
	"--dpkgopt=path-exclude=/usr/share/doc/*",
	"--dpkgopt=path-include=/usr/share/doc/*/copyright",
	"--dpkgopt=path-exclude=/usr/share/man/*",
	"--dpkgopt=path-exclude=/usr/share/info/*",
	"--dpkgopt=path-exclude=/usr/share/locale/*",
}

// pythonLikeOfficial makes Debian's Python act like the official images': pip may
// install into the system (no EXTERNALLY-MANAGED marker) and no bytecode is left over.
const pythonLikeOfficial = `--customize-hook=rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED; find "$1"/usr/lib/python3* -name __pycache__ -prune -exec rm -rf {} +`

// RuntimeRoot is the slim set: python, pip, CA certificates, time zones.
func RuntimeRoot(suite string) RootFS {
	return RootFS{Name: "runtime", Suite: suite, Variant: "minbase",
		Packages: []string{"python3", "python3-pip", "python-is-python3", "ca-certificates", "tzdata", "netbase"}}
}

// BuildpackDeps is what python:<v> has beyond python:<v>-slim: it is FROM
// buildpack-deps:<suite>, whose Dockerfiles (docker-library/buildpack-deps,
// debian/trixie/curl, debian/trixie/scm and debian/trixie) install these, with trixie's
// names for the old ones (libncurses-dev for libncurses5-dev and libncursesw5-dev,
// libxslt1-dev for libxslt-dev) and pkg-config, which the -dev libraries' build scripts
// call. Left out for size (the README says so): imagemagick, libmagickcore-dev and
// libmagickwand-dev (X and Ghostscript libraries, hundreds of MB), mercurial,
// subversion and sq (a second OpenPGP tool beside gnupg).
var BuildpackDeps = []string{
	// buildpack-deps:trixie-curl
	"ca-certificates", "curl", "gnupg", "netbase", "wget",
	// buildpack-deps:trixie-scm
	"git", "openssh-client", "procps",
	// buildpack-deps:trixie
	"autoconf", "automake", "bzip2", "default-libmysqlclient-dev", "dpkg-dev", "file",
	"g++", "gcc", "libbz2-dev", "libc6-dev", "libcurl4-openssl-dev", "libdb-dev",
	"libevent-dev", "libffi-dev", "libgdbm-dev", "libglib2.0-dev", "libgmp-dev",
	"libjpeg-dev", "libkrb5-dev", "liblzma-dev", "libmaxminddb-dev", "libncurses-dev",
	"libpng-dev", "libpq-dev", "libreadline-dev", "libsqlite3-dev", "libssl-dev",
	"libtool", "libwebp-dev", "libxml2-dev", "libxslt1-dev", "libyaml-dev", "make",
	"patch", "pkg-config", "unzip", "xz-utils", "zlib1g-dev",
}

// BuilderRoot adds venv, Python's headers and buildpack-deps' compiler and -dev
// libraries to the slim set, as python:<v> has them.
func BuilderRoot(suite string) RootFS {
	r := RuntimeRoot(suite)
	r.Name = "builder"
	r.Packages = append(r.Packages, "python3-venv", "python3-dev", "build-essential")
	have := map[string]bool{}
	for _, p := range r.Packages {
		have[p] = true
	}
	for _, p := range BuildpackDeps {
		if !have[p] {
			have[p] = true
			r.Packages = append(r.Packages, p)
		}
	}
	return r
}

// Harvested are the Debian packages whose Python distributions, and those of their
// dependencies, the kit repackages as wheels: the web frameworks and servers the
// recipes meet (Flask, gunicorn, uvicorn, FastAPI with pydantic, Django) and
// setuptools (with wheel) as the build backend of projects pip builds from source.
// libjs-jquery fills the links Debian's Django has in place of its bundled jQuery;
// patchelf, run from the root, renames the libraries the wheels carry (the suite's
// patchelf, not this machine's, so that the wheels are the same on every machine).
var Harvested = []string{
	"python3-flask",
	"python3-gunicorn", "python3-packaging",
	"python3-uvicorn", "python3-h11", "python3-click",
	"python3-fastapi", "python3-starlette", "python3-pydantic", "python3-pydantic-core",
	"python3-typing-extensions", "python3-annotated-types", "python3-anyio", "python3-sniffio", "python3-idna",
	"python3-django", "python3-asgiref", "python3-sqlparse", "libjs-jquery",
	"python3-setuptools", "python3-pkg-resources", "python3-wheel",
	"patchelf",
}

// debianPackageName is what Debian allows in a package name (Debian Policy 5.6.1).
var debianPackageName = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)

// HarvestRoot carries the Harvested packages and the extra ones given (a project's
// own dependencies, say python3-requests), to be repackaged as wheels. The extra
// packages are sorted and deduplicated, so the root's cache key does not depend on
// the order they were named in.
func HarvestRoot(suite string, with ...string) (RootFS, error) {
	packages := append([]string{}, Harvested...)
	have := map[string]bool{}
	for _, p := range packages {
		have[p] = true
	}
	var extra []string
	for _, p := range with {
		p = strings.TrimSpace(p)
		if p == "" || have[p] {
			continue
		}
		if !debianPackageName.MatchString(p) {
			return RootFS{}, fmt.Errorf("%q is not a Debian package name (python3-NAME, say)", p)
		}
		have[p] = true
		extra = append(extra, p)
	}
	sort.Strings(extra)
	return RootFS{Name: "harvest", Suite: suite, Variant: "essential", Packages: append(packages, extra...)}, nil
}

func (r RootFS) args(opts Options) []string {
	args := []string{"--variant=" + r.Variant, "--include=" + strings.Join(r.Packages, ","), "--skip=output/dev"}
	args = append(args, slimmed...)
	args = append(args, pythonLikeOfficial, r.Suite)
	return args
}

// key identifies a root by everything that shapes it, so the cache knows when to rebuild.
func (r RootFS) key(opts Options) string {
	sum := sha256.Sum256([]byte(strings.Join(append(r.args(opts), opts.Mirror), "\x00")))
	return r.Name + "-" + hex.EncodeToString(sum[:6])
}

// Make returns the root as a tarball, from cache when the same root was made before.
func (r RootFS) Make(ctx context.Context, opts Options) (string, error) {
	path := filepath.Join(opts.cacheDir(), r.key(opts)+".tar")
	if _, err := os.Stat(path); err == nil {
		opts.Log("kit: %s root from cache", r.Name)
		return path, nil
	}
	return path, r.run(ctx, opts, path, "tar")
}

// MakeDir returns the root as a directory, from cache when made before.
func (r RootFS) MakeDir(ctx context.Context, opts Options) (string, error) {
	path := filepath.Join(opts.cacheDir(), r.key(opts))
	if _, err := os.Stat(filepath.Join(path, "var/lib/dpkg/status")); err == nil {
		opts.Log("kit: %s root from cache", r.Name)
		return path, nil
	}
	os.RemoveAll(path)
	return path, r.run(ctx, opts, path, "directory")
}

// run calls mmdebstrap into a temporary target, renamed into place once complete.
func (r RootFS) run(ctx context.Context, opts Options, target, format string) error {
	opts.Log("kit: making the %s root (%s, %s) with mmdebstrap", r.Name, r.Suite, strings.Join(r.Packages, " "))
	tmp := target + ".partial"
	os.RemoveAll(tmp)
	args := append([]string{"--format=" + format}, r.args(opts)...)
	args = append(args, tmp)
	if opts.Mirror != "" {
		args = append(args, opts.Mirror)
	}
	cmd := exec.CommandContext(ctx, "mmdebstrap", args...)
	cmd.Env = cleanEnv(os.Environ())
	out, err := cmd.CombinedOutput()
	if err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("mmdebstrap could not make the %s root: %v\n%s", r.Name, err, lastLines(string(out), 15))
	}
	return os.Rename(tmp, target)
}

// cleanEnv drops the caller's PIP_* and PYTHON* variables: they must not leak into
// the chroot's package scripts.
func cleanEnv(env []string) []string {
	var kept []string
	for _, kv := range env {
		if strings.HasPrefix(kv, "PIP_") || strings.HasPrefix(kv, "PYTHON") {
			continue
		}
		kept = append(kept, kv)
	}
	return kept
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
