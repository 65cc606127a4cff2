package pipeline

import (
	"net/url"
	"sort"

	"dagger.io/dagger"
)

// wheelsPath is where the wheels directory is mounted for an install step only.
const wheelsPath = "/tmp/multistage-wheels"

// pipInstall runs `<pip> install [extra...] -r requirements` in ctr, from the wheels
// directory or the configured index. The wheels mount and the index credential exist
// for this one step: neither is left in the resulting image.
func (p *Pipeline) pipInstall(ctr *dagger.Container, pip []string, requirements string, extra ...string) *dagger.Container {
	args := append(append([]string{}, pip...), "install")
	args = append(args, extra...)
	args = append(args, "-r", requirements)
	if u, err := url.Parse(p.opts.PipIndexURL); err == nil && u.Scheme == "http" {
		// pip ignores a plain-HTTP index unless told to trust it; the caller chose it.
		args = append(args, "--trusted-host", u.Hostname())
	}
	ctr = p.withIndexServices(ctr)
	switch {
	case p.opts.Wheels != nil:
		args = append(args, "--no-index", "--find-links", wheelsPath)
		return ctr.
			WithMountedDirectory(wheelsPath, p.opts.Wheels).
			WithExec(args).
			WithoutMount(wheelsPath)
	case p.indexURL != nil:
		return ctr.
			WithSecretVariable("PIP_INDEX_URL", p.indexURL).
			WithExec(args).
			WithoutSecretVariable("PIP_INDEX_URL")
	case p.opts.PipIndexURL != "":
		args = append(args, "--index-url", p.opts.PipIndexURL)
		return ctr.WithExec(args)
	default:
		return ctr.WithExec(args)
	}
}

// withIndexServices binds the services an install step may reach (a private index
// running as a container, say) under their host names.
func (p *Pipeline) withIndexServices(ctr *dagger.Container) *dagger.Container {
	names := make([]string, 0, len(p.opts.PipIndexServices))
	for name := range p.opts.PipIndexServices {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ctr = ctr.WithServiceBinding(name, p.opts.PipIndexServices[name])
	}
	return ctr
}
