// Package kit makes the offline kit: base images and wheels from Debian's package
// archive only, for machines that reach no container registry and no PyPI.
//
// It writes DIR/builder.tar and DIR/runtime.tar (OCI image tarballs that behave like
// the official python:<v> and python:<v>-slim for every recipe of the pipeline) and
// DIR/wheels/ (Flask, gunicorn, uvicorn, FastAPI, Django, setuptools as a build backend,
// any packages Options.With adds, and all their dependencies, repackaged from Debian's
// python3-* packages so that an unchanged `pip install -r requirements.txt --no-index
// --find-links` works; their compiled extensions carry the libraries they link, as
// PyPI's manylinux wheels do; and, with Options.Sdists, upstream source distributions
// from Debian's source archive).
package kit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// Options of the kit.
type Options struct {
	// Dir receives builder.tar, runtime.tar, wheels/ and a cache/ of root filesystems.
	Dir string
	// Suite is the Debian release; trixie carries Python 3.13.
	Suite string
	// PythonVersion is the Python the suite carries; it names the pushed tags.
	PythonVersion string
	// Mirror is a Debian mirror URL; empty means mmdebstrap's default for the roots,
	// and the first Debian archive of this machine's apt sources for the source index.
	Mirror string
	// With adds Debian packages (python3-NAME) to the harvest, so that their Python
	// distributions, and their dependencies', come out as wheels too.
	With []string
	// Sdists are Debian source packages (psycopg2, pyyaml) whose upstream releases go
	// into the wheels directory as source distributions, as PyPI has them; Cython joins
	// the harvest, for the build requirements pip's build isolation installs.
	Sdists []string
	// SystemLinked keeps the compiled extensions of the wheels linked to the system's
	// libraries, instead of carrying them inside the wheel as PyPI's manylinux wheels do.
	SystemLinked bool
	// Cache keeps the root filesystems, the source index and upstream tarballs; empty
	// means DIR/cache. Kits of several directories may share one.
	Cache string
	// Push, as HOST:PORT, also pushes the bases to that registry as
	// library/python:<v> and library/python:<v>-slim (plain HTTP).
	Push string
	// Log receives progress lines; nil is quiet.
	Log func(format string, args ...any)
}

// Result says where the kit's parts are.
type Result struct {
	Builder, Runtime, Wheels string
	WheelFiles               []string
	// SdistFiles are the source distributions written beside the wheels.
	SdistFiles []string
	// Harvest is the root filesystem the wheels were made from.
	Harvest string
	Pushed  []string
}

func (o Options) cacheDir() string {
	if o.Cache != "" {
		return o.Cache
	}
	return filepath.Join(o.Dir, "cache")
}

// harvestWith are the packages added to the harvest: those asked for, and Cython when
// source distributions are, since pip builds them with it (PyYAML needs Cython 3).
func harvestWith(opts Options) []string {
	with := append([]string{}, opts.With...)
	if len(opts.Sdists) > 0 {
		with = append(with, "cython3")
	}
	return with
}

// Defaults: the suite whose Python matches the pipeline's default.
const (
	DefaultSuite         = "trixie"
	DefaultPythonVersion = "3.13"
)

// Make builds (or reuses from cache) every part of the kit.
func Make(ctx context.Context, opts Options) (*Result, error) {
	if opts.Dir == "" {
		return nil, fmt.Errorf("no kit directory given: pass --dir DIR")
	}
	if opts.Suite == "" {
		opts.Suite = DefaultSuite
	}
	if opts.PythonVersion == "" {
		opts.PythonVersion = DefaultPythonVersion
	}
	if opts.Log == nil {
		opts.Log = func(string, ...any) {}
	}
	harvestRoot, err := HarvestRoot(opts.Suite, harvestWith(opts)...)
	if err != nil {
		return nil, err // before anything is built
	}
	var sdistNames []string
	for _, name := range opts.Sdists {
		if name = strings.TrimSpace(name); name == "" || slices.Contains(sdistNames, name) {
			continue
		}
		if !debianPackageName.MatchString(name) {
			return nil, fmt.Errorf("--sdist %q is not a Debian source package name (pyyaml, psycopg2, say)", name)
		}
		sdistNames = append(sdistNames, name)
	}
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		return nil, fmt.Errorf("mmdebstrap is not installed: apt-get install mmdebstrap (the kit builds its bases with it)")
	}
	for _, dir := range []string{opts.Dir, opts.cacheDir()} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("kit directory %s: %w", dir, err)
		}
		// The directory's outputs, then the cache (which kits of other directories may share).
		unlock, err := lockDir(dir)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	sdists, err := fetchSdists(ctx, opts, sdistNames)
	if err != nil {
		return nil, err // before anything is built, too
	}

	result := &Result{
		Builder: filepath.Join(opts.Dir, "builder.tar"),
		Runtime: filepath.Join(opts.Dir, "runtime.tar"),
		Wheels:  filepath.Join(opts.Dir, "wheels"),
	}
	for _, base := range []struct {
		root RootFS
		out  string
		tag  string
	}{
		{BuilderRoot(opts.Suite), result.Builder, "python:" + opts.PythonVersion},
		{RuntimeRoot(opts.Suite), result.Runtime, "python:" + opts.PythonVersion + "-slim"},
	} {
		rootfs, err := base.root.Make(ctx, opts)
		if err != nil {
			return nil, err
		}
		if err := WriteBaseImage(rootfs, base.out, base.tag); err != nil {
			return nil, err
		}
		opts.Log("kit: %s ready (%s)", base.out, base.tag)
		if opts.Push != "" {
			ref, err := PushBaseImage(ctx, base.out, opts.Push, "library/"+base.tag)
			if err != nil {
				return nil, err
			}
			result.Pushed = append(result.Pushed, ref)
			opts.Log("kit: pushed %s", ref)
		}
	}

	result.Harvest, err = harvestRoot.MakeDir(ctx, opts)
	if err != nil {
		return nil, err
	}
	result.WheelFiles, err = WriteWheels(result.Harvest, result.Wheels, WheelOptions{SystemLinked: opts.SystemLinked})
	if err != nil {
		return nil, err
	}
	opts.Log("kit: %d wheels in %s", len(result.WheelFiles), result.Wheels)
	for _, sd := range sdists {
		if err := writeSdist(sd, result.Wheels); err != nil {
			return nil, err
		}
		result.SdistFiles = append(result.SdistFiles, filepath.Join(result.Wheels, sd.File))
		opts.Log("kit: %s from Debian's %s %s", sd.File, sd.Source, sd.DebianVersion)
	}
	if err := checkBuildRequires(sdists, result.Wheels); err != nil {
		return nil, err
	}
	return result, nil
}

// lockDir takes an exclusive lock on the kit directory, so that two processes (two
// test binaries, say) making the same kit take turns instead of tearing its files.
func lockDir(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("kit directory %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking kit directory %s: %w", dir, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
