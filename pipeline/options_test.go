package pipeline

import (
	"strings"
	"testing"
	"time"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline/recipe"
)

func TestValidateRefusesBadOptions(t *testing.T) {
	app := &dagger.Directory{} // only nil-ness matters to Validate
	valid := Options{Options: recipe.Options{App: app}}.withDefaults()
	cases := []struct {
		name   string
		change func(*Options)
		want   string // part of the message; "" means valid
	}{
		{"defaults", func(o *Options) {}, ""},
		{"no app", func(o *Options) { o.App = nil }, "no app directory"},
		{"python 3", func(o *Options) { o.PythonVersion = "3" }, `python version "3" is not valid`},
		{"python word", func(o *Options) { o.PythonVersion = "latest" }, "use major.minor"},
		{"python patch", func(o *Options) { o.PythonVersion = "3.13.1" }, "use major.minor"},
		{"python 3.9", func(o *Options) { o.PythonVersion = "3.9" }, ""},
		{"port zero after defaults", func(o *Options) { o.Port = -1 }, "port -1 is out of range"},
		{"port too high", func(o *Options) { o.Port = 70000 }, "use 1 to 65535"},
		{"timeout short", func(o *Options) { o.CheckTimeout = time.Millisecond }, "check timeout 1ms is out of range"},
		{"timeout long", func(o *Options) { o.CheckTimeout = time.Hour }, "out of range"},
		{"wheels and index", func(o *Options) { o.Wheels = &dagger.Directory{}; o.PipIndexURL = "https://example.test/simple" }, "pass only one"},
		{"credential without index", func(o *Options) { o.PipIndexCredential = &dagger.Secret{} }, "needs a pip index URL"},
		{"index not a URL", func(o *Options) { o.PipIndexURL = "example.test/simple" }, "is not valid"},
		{"index with credential", func(o *Options) { o.PipIndexURL = "https://u:p@example.test/simple" }, "pass it as a secret"},
		{"index ok", func(o *Options) { o.PipIndexURL = "https://example.test/simple" }, ""},
		{"check path without slash", func(o *Options) { o.CheckPath = "health" }, `check path "health" (--check-path, --expect-status, --expect-regex) is not a path: start it with /`},
		{"check path ok", func(o *Options) { o.CheckPath = "/health?full=1" }, ""},
		{"status not http", func(o *Options) { o.ExpectStatus = 42 }, "expected status 42"},
		{"status ok", func(o *Options) { o.ExpectStatus = 204 }, ""},
		{"regex broken", func(o *Options) { o.ExpectRegex = "ok(" }, `expected body pattern "ok(" (--check-path, --expect-status, --expect-regex) is not a regular expression`},
		{"runtime lib a path", func(o *Options) { o.RuntimeLibs = []string{"/usr/lib/libpq.so.5"} }, `runtime library "/usr/lib/libpq.so.5" is not a library's soname`},
		{"runtime lib ok", func(o *Options) { o.RuntimeLibs = []string{"libpq.so.5", "libmagic.so.1"} }, ""},
		{"unknown variant", func(o *Options) { o.Variants = []string{"multi-stage", "fat"} }, `unknown variant "fat"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := valid
			c.change(&o)
			err := o.validate()
			if err == nil {
				err = o.Options.Validate()
			}
			if c.want == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want error containing %q, got %v", c.want, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	o := Options{}.withDefaults()
	// The Python version and the command are the project plan's to choose (project.Read).
	if o.PythonVersion != "" || len(o.Command) != 0 || o.Port != 5000 || o.CheckTimeout != 30*time.Second ||
		o.CheckPath != "" || o.Expect != "" || o.ExpectStatus != 0 {
		t.Fatalf("unexpected defaults: %+v", o)
	}
	kept := Options{Options: recipe.Options{PythonVersion: "3.12", Port: 8000}}.withDefaults()
	if kept.PythonVersion != "3.12" || kept.Port != 8000 {
		t.Fatalf("defaults overwrote given values: %+v", kept)
	}
}
