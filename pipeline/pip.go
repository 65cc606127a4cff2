package pipeline

import "dagger.io/dagger"

// wheelsPath is where the wheels directory is mounted for an install step only.
const wheelsPath = "/tmp/multistage-wheels"

// pipInstall runs `<pip> install [extra...] -r requirements` in ctr, from the wheels
// directory or the configured index. The wheels mount and the index credential exist
// for this one step: neither is left in the resulting image.
func (p *Pipeline) pipInstall(ctr *dagger.Container, pip []string, requirements string, extra ...string) *dagger.Container {
	args := append(append([]string{}, pip...), "install")
	args = append(args, extra...)
	args = append(args, "-r", requirements)
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
