package recipe

import (
	"fmt"
	"net/url"
	"regexp"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline/project"
)

// Defaults every front (module, CLI) starts from.
const (
	DefaultPythonVersion = "3.13"
	DefaultPort          = 5000
)

// Options configure every recipe, and the check their HEALTHCHECK shares. The zero
// value of a field means "use the default".
type Options struct {
	// PythonVersion picks the official bases: python:<v> for the builder and
	// python:<v>-slim for the runtime. Ignored for a base given directly. Empty: the
	// project's .python-version (or its lock's), else DefaultPythonVersion.
	PythonVersion string
	// BuilderBase and RuntimeBase replace the official bases, for example with an
	// imported image tarball.
	BuilderBase *dagger.Container
	RuntimeBase *dagger.Container
	// BuilderBaseName and RuntimeBaseName say, for the report, what a given base is
	// (for example "builder.tar sha256:…").
	BuilderBaseName string
	RuntimeBaseName string
	// PinBases resolves the official bases to digests before building, so every stage
	// uses the same image; the report records the digests either way.
	PinBases bool
	// BaseRepository holds the official bases (DefaultBaseRepository when empty): a
	// mirror of Docker Hub's python, for example mirror.gcr.io/library/python.
	BaseRepository string
	// BaseRecord remembers the digest each official base resolved to, for a registry
	// outage (outage.go); nil: nothing is remembered, an outage fails the run.
	BaseRecord BaseRecord

	// PipIndexURL is the package index pip installs from (pip's default when empty).
	PipIndexURL string
	// PipIndexCredential ("user:password" or a token) is put into PipIndexURL for
	// the install step only, as a Dagger secret: it never reaches an image layer.
	PipIndexCredential *dagger.Secret
	// PipIndexServices are bound, under their host names, to the install steps: a
	// package index running as a container, for example.
	PipIndexServices map[string]*dagger.Service
	// Wheels, when set, makes pip install with --no-index --find-links from it.
	Wheels *dagger.Directory

	// App is the application directory: a requirements.txt, a pyproject.toml or a
	// lock file at its root (project.Read says which decides), and the app.
	App *dagger.Directory
	// IncludeAll sends the app directory without the default exclusions (.git, .venv,
	// caches); a .dockerignore is honoured either way.
	IncludeAll bool
	// Port the app listens on and the check requests.
	Port int
	// CheckPath is the path the check requests (and the images' HEALTHCHECK asks).
	// Empty: the project's own check (pyproject.toml [tool.multistage.check]), else /.
	CheckPath string
	// ExpectStatus pins the one status that passes; 0: the project's, else 200–399.
	ExpectStatus int
	// Expect is text the body must contain; ExpectRegex a regular expression (RE2)
	// it must match. Both empty: the project's own, else the body is not checked.
	Expect      string
	ExpectRegex string
	// Command starts the app, in the app directory. Empty: the project plan chooses
	// (a Procfile, gunicorn, uvicorn, else python app.py).
	Command []string
	// Rebuild, when set, makes every build step run again instead of coming from the
	// engine's cache (a second build for --verify-reproducible; tests). Any new value
	// does; the images come out the same if the build is reproducible.
	Rebuild string
	// SourceDateEpoch is the time (seconds since 1970) every file the pipeline writes
	// carries, for reproducible images: $SOURCE_DATE_EPOCH in the fronts, else 0.
	SourceDateEpoch int
	// RuntimeLibs are shared libraries (sonames such as libpq.so.5) the app loads by
	// name at run time (ctypes), out of the loader's sight: the production images
	// carry each, and what it links, from the builder, as they do what the venv links.
	RuntimeLibs []string
	// KeepModules are standard-library modules the minimal image keeps although its
	// pruning rule would drop them (for example "unittest", "tkinter").
	KeepModules []string

	// LeaveNativeBehind makes the production images leave the venv's native libraries
	// behind: the failure the carrying prevents, for the regression tests only.
	LeaveNativeBehind bool
}

var pythonVersionPattern = regexp.MustCompile(`^3\.[0-9]{1,2}$`)

// sonamePattern is a shared library's file name as the loader looks it up.
var sonamePattern = regexp.MustCompile(`^[A-Za-z0-9_.+-]+\.so(\.[0-9A-Za-z_]+)*$`)

// WithDefaults returns a copy of o with every unset field given its default.
func (o Options) WithDefaults() Options {
	if o.Port == 0 {
		o.Port = DefaultPort
	}
	return o
}

// Validate refuses options that cannot work, before anything is built.
// Messages name the option and the fix.
func (o Options) Validate() error {
	if o.App == nil {
		return fmt.Errorf("no app directory given: pass the directory that holds app.py and requirements.txt")
	}
	if o.PythonVersion != "" && !pythonVersionPattern.MatchString(o.PythonVersion) {
		return fmt.Errorf("python version %q is not valid: use major.minor, for example %s", o.PythonVersion, DefaultPythonVersion)
	}
	if o.SourceDateEpoch < 0 {
		return fmt.Errorf("source date epoch %d is negative: use seconds since 1970 (SOURCE_DATE_EPOCH), or 0", o.SourceDateEpoch)
	}
	if o.Port < 1 || o.Port > 65535 {
		return fmt.Errorf("port %d is out of range: use 1 to 65535", o.Port)
	}
	if err := (project.CheckSpec{Path: o.CheckPath, Status: o.ExpectStatus, ExpectRegex: o.ExpectRegex}).Validate("--check-path, --expect-status, --expect-regex"); err != nil {
		return err
	}
	if o.Wheels != nil && o.PipIndexURL != "" {
		return fmt.Errorf("both a wheels directory and a pip index URL given: pass only one")
	}
	if o.PipIndexCredential != nil && o.PipIndexURL == "" {
		return fmt.Errorf("a pip index credential needs a pip index URL: pass the index URL too")
	}
	for _, lib := range o.RuntimeLibs {
		if !sonamePattern.MatchString(lib) {
			return fmt.Errorf("runtime library %q is not a library's soname: name it as the loader does, for example libpq.so.5", lib)
		}
	}
	if o.PipIndexURL != "" {
		u, err := url.Parse(o.PipIndexURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("pip index URL %q is not valid: use http(s)://host/simple", o.PipIndexURL)
		}
		if u.User != nil {
			return fmt.Errorf("pip index URL carries a credential: pass it as a secret instead, so that it stays out of logs and images")
		}
	}
	return nil
}

// askedCheck is the check the options ask for, each part empty where they leave it
// to the project (project.ProbeFor).
func (o Options) askedCheck() project.CheckSpec {
	return project.CheckSpec{Path: o.CheckPath, Status: o.ExpectStatus, Expect: o.Expect, ExpectRegex: o.ExpectRegex}
}
