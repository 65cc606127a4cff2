// Package project reads a Python app directory once and decides, purely, how every
// recipe installs and starts it: the Plan. It imports no Dagger: the caller reads the
// files the plan may need (WantedFiles) and hands their bytes over, so every format
// and every bad input is tested without an engine.
package project

import (
	"fmt"
	"sort"
	"strings"
)

// Format is the kind of file that decided what is installed.
type Format string

// Formats, in the order the app directory is searched for them.
const (
	FormatUV           Format = "uv.lock"
	FormatPoetry       Format = "poetry.lock"
	FormatPipenv       Format = "Pipfile.lock"
	FormatPyproject    Format = "pyproject.toml"
	FormatRequirements Format = "requirements.txt"
)

// lockFormats are the lock files, in detection order: a lock pins every package.
var lockFormats = []Format{FormatUV, FormatPoetry, FormatPipenv}

// WantedFiles are the files Read may look at, relative to the app directory: those
// that decide the dependencies and the Python version, and those the start command is
// found in (startFiles, discover.go). The files only these name (the module FLASK_APP
// names, the app's modules an app is imported from) follow with MoreWantedFiles.
// Of .env only the FLASK_APP line is kept (Keep).
var WantedFiles = append([]string{
	string(FormatUV), string(FormatPoetry), string(FormatPipenv), "Pipfile",
	string(FormatPyproject), string(FormatRequirements), ".python-version", "Procfile",
}, startFiles...)

// Files maps a path in the app directory (slash-separated) to its content.
type Files map[string][]byte

// Has says whether the app directory holds path.
func (f Files) Has(path string) bool { _, ok := f[path]; return ok }

// Input is what Read is given: the wanted files' bytes and the app's options.
type Input struct {
	Files Files
	// Paths lists every file of the app directory (after .dockerignore), so that a
	// start command can be found in a package without reading every file.
	Paths []string
	// PythonVersion is the version the user asked for ("" when not given).
	PythonVersion string
	// DefaultPythonVersion is used when neither the user nor the project names one.
	DefaultPythonVersion string
	// Command is the start command the user gave (nil when not given).
	Command []string
	// Port the app must listen on.
	Port int
}

// Requirement is one pinned package, as a lock file records it.
type Requirement struct {
	Name    string   `json:"name"`
	Version string   `json:"version"`
	Hashes  []string `json:"hashes,omitempty"`
	// Marker limits the package to some environments (PEP 508), for pip to evaluate.
	Marker string `json:"marker,omitempty"`
}

// Plan is what every recipe installs and how the app starts, decided once.
type Plan struct {
	Format Format `json:"format"`
	// DecidedBy is the file that decided, and Reason why it and not another.
	DecidedBy string `json:"decidedBy"`
	Reason    string `json:"reason"`
	// Pinned are the packages a lock pins, installed as they are (pip --no-deps);
	// empty for requirements.txt and pyproject.toml, whose requirements pip resolves.
	Pinned []Requirement `json:"pinned,omitempty"`
	// Requirements is the one file pip installs from (-r), generated for locks.
	Requirements string `json:"-"`
	// Packages counts the requirements: pinned packages, or lines of a requirements file.
	Packages int `json:"packages"`
	// Hashed is true when every pinned package carries hashes: pip checks them.
	Hashed bool `json:"hashed"`
	// InstallProject is true when the project itself is a package (a build backend),
	// installed non-editable after its dependencies.
	InstallProject bool   `json:"installProject"`
	ProjectName    string `json:"projectName,omitempty"`
	// PythonVersion is major.minor; PythonSource says where it came from.
	PythonVersion string `json:"pythonVersion"`
	PythonSource  string `json:"pythonSource"`
	// Command starts the app (exec form); CommandReason says why this one.
	Command       []string `json:"command"`
	CommandReason string   `json:"commandReason"`
	// Port is where the app listens; every image sets PORT to it.
	Port int `json:"port"`
	// Check is the check the project asks for in its pyproject.toml (nil: none).
	Check *CheckSpec `json:"check,omitempty"`

	// pipfilePython is the Python version Pipfile.lock records, a source of the version.
	pipfilePython string
}

// Read decides the plan of an app directory, or says in one line what to fix.
func Read(in Input) (*Plan, error) {
	if len(in.Files) == 0 && len(in.Paths) == 0 {
		return nil, fmt.Errorf("app directory is empty: add app.py and requirements.txt, or a pyproject.toml")
	}
	plan, pyproject, err := readDependencies(in.Files)
	if err != nil {
		return nil, err
	}
	plan.Port = in.Port
	plan.Check = pyproject.check()
	if plan.Check != nil {
		if err := plan.Check.Validate(CheckSource); err != nil {
			return nil, err
		}
	}
	if err := plan.choosePython(in, pyproject); err != nil {
		return nil, err
	}
	if err := plan.chooseCommand(in); err != nil {
		return nil, err
	}
	return plan, nil
}

// readDependencies finds the file that decides what is installed, in the documented
// order, and reads it; pyproject.toml comes back too (nil without one), parsed once.
func readDependencies(files Files) (*Plan, *pyprojectFile, error) {
	var locks []string
	for _, f := range lockFormats {
		if files.Has(string(f)) {
			locks = append(locks, string(f))
		}
	}
	if len(locks) > 1 {
		return nil, nil, fmt.Errorf("app directory has two lock files, %s: keep the one your project uses and remove the other", strings.Join(locks, " and "))
	}
	pyproject, err := readPyproject(files)
	if err != nil {
		return nil, nil, err
	}
	var plan *Plan
	switch {
	case len(locks) == 1 && locks[0] == string(FormatUV):
		plan, err = readUVLock(files[string(FormatUV)], pyproject)
	case len(locks) == 1 && locks[0] == string(FormatPoetry):
		plan, err = readPoetryLock(files[string(FormatPoetry)], pyproject)
	case len(locks) == 1:
		plan, err = readPipfileLock(files[string(FormatPipenv)])
	case pyproject.isManifest():
		plan, err = pyproject.plan(files.Has(string(FormatRequirements)))
	case files.Has(string(FormatRequirements)):
		plan = requirementsPlan(files[string(FormatRequirements)], pyproject)
	case pyproject != nil:
		return nil, nil, fmt.Errorf("pyproject.toml only configures tools (no [project] or [tool.poetry] table) and there is no requirements.txt: add one, even empty, or a [project] table with dependencies")
	default:
		return nil, nil, fmt.Errorf("app directory has no requirements.txt, pyproject.toml or lock file: add requirements.txt, even empty")
	}
	if err != nil {
		return nil, nil, err
	}
	if plan.Requirements == "" && len(plan.Pinned) > 0 {
		plan.Requirements = renderPinned(plan.Pinned)
	}
	if len(plan.Pinned) > 0 {
		plan.Packages = len(plan.Pinned)
		plan.Hashed = allHashed(plan.Pinned)
	}
	return plan, pyproject, nil
}

// lockPlan is the plan of a lock file: its pins, and whether the project is a package.
func lockPlan(format Format, pinned []Requirement, pyproject *pyprojectFile, installProject bool, ignored string) *Plan {
	plan := &Plan{Format: format, DecidedBy: string(format), Pinned: pinned,
		Reason: string(format) + " pins every package (lock files come first)" + ignored}
	if pyproject != nil && installProject {
		plan.InstallProject = true
		plan.ProjectName = pyproject.name()
	}
	return plan
}

func allHashed(reqs []Requirement) bool {
	for _, r := range reqs {
		if len(r.Hashes) == 0 {
			return false
		}
	}
	return len(reqs) > 0
}

// renderPinned writes the pins as one requirements file: name==version, the marker
// for pip to evaluate, and every hash the lock has (pip then requires them all).
func renderPinned(reqs []Requirement) string {
	sorted := append([]Requirement(nil), reqs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	var b strings.Builder
	b.WriteString("# generated by multistage from the lock file: every package pinned, installed with --no-deps\n")
	for _, r := range sorted {
		b.WriteString(r.Name + "==" + r.Version)
		if r.Marker != "" {
			b.WriteString(" ; " + r.Marker)
		}
		for _, h := range r.Hashes {
			b.WriteString(" --hash=" + h)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// PipArgs are the install flags the plan needs beyond -r: locks install their pins as
// they are, and check hashes when the lock has them.
func (p *Plan) PipArgs() []string {
	if len(p.Pinned) == 0 {
		return nil
	}
	args := []string{"--no-deps"}
	if p.Hashed {
		args = append(args, "--require-hashes")
	}
	return args
}
