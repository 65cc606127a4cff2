package pipeline

import (
	"fmt"
	"time"

	"github.com/multistage/multistage/pipeline/recipe"
)

// Defaults of the check, which every front (module, CLI) starts from.
const (
	DefaultCheckTimeout = 30 * time.Second
	// MaxCheckTimeout bounds a check so that a misconfigured run cannot hang a CI job.
	MaxCheckTimeout = 10 * time.Minute
)

// Options configure a comparison: the recipes' options, and what only the comparison
// does with the images (how long a check may take, which variants, a second build,
// the secrets accepted). The zero value of a field means "use the default".
type Options struct {
	recipe.Options
	// CheckTimeout bounds one service check, from start to the first good answer.
	CheckTimeout time.Duration
	// Variants limits Compare to these variants (all when empty).
	Variants []string
	// VerifyReproducible makes Compare build each variant expected to pass a second
	// time, every step run again, and say whether the layers came out the same.
	VerifyReproducible bool
	// AllowSecrets are files (as the report names them: settings.py, or a path in the
	// image) whose secrets the user accepts knowingly: found, reported, not failing.
	AllowSecrets []string

	// withoutLinkCheck skips the link check, for the regression tests
	// (native_hook_test.go): what a production image does without it.
	withoutLinkCheck bool
}

// withDefaults returns a copy of o with every unset field given its default.
func (o Options) withDefaults() Options {
	o.Options = o.Options.WithDefaults()
	if o.CheckTimeout == 0 {
		o.CheckTimeout = DefaultCheckTimeout
	}
	return o
}

// validate refuses the comparison's own options that cannot work, before anything is
// built (the recipes validate theirs). Messages name the option and the fix.
func (o Options) validate() error {
	if o.CheckTimeout < time.Second || o.CheckTimeout > MaxCheckTimeout {
		return fmt.Errorf("check timeout %s is out of range: use 1s to %s", o.CheckTimeout, MaxCheckTimeout)
	}
	for _, name := range o.Variants {
		if _, err := recipe.VariantNamed(name); err != nil {
			return err
		}
	}
	return nil
}
