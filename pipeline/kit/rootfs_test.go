package kit

import (
	"slices"
	"testing"
)

// TestBuilderRootIsBuildpackDeps: the builder has every package of buildpack-deps the
// kit keeps, the slim runtime none beyond the few the two share.
func TestBuilderRootIsBuildpackDeps(t *testing.T) {
	builder, runtime := BuilderRoot("trixie"), RuntimeRoot("trixie")
	for _, p := range append([]string{"gcc", "g++", "make", "libc6-dev", "pkg-config", "libpq-dev", "libyaml-dev",
		"default-libmysqlclient-dev", "libxslt1-dev", "libncurses-dev", "python3-dev", "python3-venv"}, BuildpackDeps...) {
		if !slices.Contains(builder.Packages, p) {
			t.Errorf("the builder root lacks %s", p)
		}
	}
	seen := map[string]bool{}
	for _, p := range builder.Packages {
		if seen[p] {
			t.Errorf("the builder root names %s twice", p)
		}
		seen[p] = true
	}
	shared := map[string]bool{"ca-certificates": true, "netbase": true}
	for _, p := range BuildpackDeps {
		if slices.Contains(runtime.Packages, p) && !shared[p] {
			t.Errorf("the runtime root carries the build package %s", p)
		}
	}
}
