package recipe

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline/failure"
)

// wheelsPath is where the wheels directory is mounted for an install step only.
const wheelsPath = "/tmp/multistage-wheels"

// projectPath is where the project's source is mounted when it is a package to install.
const projectPath = "/tmp/multistage-project"

// requirementsFile is the one file pip installs from, requirements.txt: the file as
// given, or the pins generated from a lock. It depends on the plan's requirements
// only, never on the app's source, so an edit of the source reuses the install.
func (r *Recipes) requirementsFile() *dagger.Directory {
	return r.stamped(r.client.Directory().WithNewFile("requirements.txt", r.plan.Requirements))
}

// installRequirements runs `<pip> install -r dir/requirements.txt` (see
// requirementsFile) with the plan's flags: a lock's pins go in as they are, hashes checked.
func (r *Recipes) installRequirements(ctr *dagger.Container, pip []string, dir string, extra ...string) *dagger.Container {
	args := append(append([]string{"install"}, extra...), r.plan.PipArgs()...)
	args = append(args, "-r", dir+"/requirements.txt")
	return r.pip(ctr, pip, args)
}

// installProject installs the project itself, non-editable and without its
// dependencies (already installed), when the plan says it is a package. Its source is
// mounted for this step only, so the build's leftovers (build/, *.egg-info) stay out.
func (r *Recipes) installProject(ctr *dagger.Container, pip []string, extra ...string) *dagger.Container {
	if !r.plan.InstallProject {
		return ctr
	}
	args := append(append([]string{"install"}, extra...), "--no-deps", projectPath)
	return r.pip(ctr.WithMountedDirectory(projectPath, r.app), pip, args).WithoutMount(projectPath)
}

// pip runs `<pip> <args>` in ctr, from the wheels directory or the configured index.
// The wheels mount and the index credential exist for this one step: neither is left
// in the resulting image.
func (r *Recipes) pip(ctr *dagger.Container, pip []string, args []string) *dagger.Container {
	args = append(append([]string{}, pip...), args...)
	if u, err := url.Parse(r.opts.PipIndexURL); err == nil && u.Scheme == "http" {
		// pip ignores a plain-HTTP index unless told to trust it; the caller chose it.
		args = append(args, "--trusted-host", u.Hostname())
	}
	ctr = r.withIndexServices(ctr)
	switch {
	case r.opts.Wheels != nil:
		args = append(args, "--no-index", "--find-links", wheelsPath)
		return ctr.
			WithMountedDirectory(wheelsPath, r.opts.Wheels).
			WithExec(args).
			WithoutMount(wheelsPath)
	case r.indexURL != nil:
		return ctr.
			WithSecretVariable("PIP_INDEX_URL", r.indexURL).
			WithExec(args).
			WithoutSecretVariable("PIP_INDEX_URL")
	case r.opts.PipIndexURL != "":
		args = append(args, "--index-url", r.opts.PipIndexURL)
		return ctr.WithExec(args)
	default:
		return ctr.WithExec(args)
	}
}

// withIndexServices binds the services an install step may reach (a private index
// running as a container, say) under their host names.
func (r *Recipes) withIndexServices(ctr *dagger.Container) *dagger.Container {
	names := make([]string, 0, len(r.opts.PipIndexServices))
	for name := range r.opts.PipIndexServices {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ctr = ctr.WithServiceBinding(name, r.opts.PipIndexServices[name])
	}
	return ctr
}

// checkWheels refuses an empty wheels directory: pip would only say it found nothing.
func (r *Recipes) checkWheels(ctx context.Context) error {
	if r.opts.Wheels == nil {
		return nil
	}
	entries, err := r.opts.Wheels.Entries(ctx)
	if err != nil {
		return fmt.Errorf("wheels directory cannot be read (%s): pass the wheels/ of `go run ./ci kit --dir DIR`, or a directory of .whl files", failure.Line(err))
	}
	for _, e := range entries {
		if strings.HasSuffix(e, ".whl") {
			return nil
		}
	}
	return errors.New("wheels directory holds no .whl file: pass the wheels/ of `go run ./ci kit --dir DIR`, or a directory of .whl files")
}
