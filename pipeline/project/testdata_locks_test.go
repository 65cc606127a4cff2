package project

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multistage/multistage/internal/fixture"
)

// fakeWheels fill the test projects' lock templates with values no real wheel has: the
// plan must carry whatever the wheels of the day say.
var fakeWheels = map[string]fixture.Wheel{}

func init() {
	for i, name := range []string{"blinker", "click", "flask", "itsdangerous", "jinja2", "markupsafe", "werkzeug"} {
		fakeWheels[name] = fixture.Wheel{Name: name, Version: "9.0." + string(rune('0'+i)), SHA256: strings.Repeat(string(rune('a'+i)), 64)}
	}
}

// renderedTestdata is a copy of a test project under testdata/, its lock rendered.
func renderedTestdata(t *testing.T, name string, wheels map[string]fixture.Wheel) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := fixture.RenderTree(filepath.Join("..", "..", "testdata", name), dir, wheels); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestTheTestProjectsLocksAreTemplatesOfTheWheelsOfTheDay: each lock of testdata/, rendered
// from a set of wheels, pins exactly those wheels (version and sha256) for what the app
// needs, leaves the dev groups out and keeps the markers, and is not out of date; its
// pyproject.toml changed, it is (uv and poetry record what the lock was made from).
func TestTheTestProjectsLocksAreTemplatesOfTheWheelsOfTheDay(t *testing.T) {
	for _, c := range []struct {
		dir    string
		format Format
		marker string
		edit   [2]string // a change of pyproject.toml that makes the lock out of date
	}{
		{"uv-app", FormatUV, "colorama==0.4.6 ; sys_platform == 'win32'", [2]string{`"flask>=3"`, `"flask>=3.1"`}},
		{"poetry-app", FormatPoetry, `colorama==0.4.6 ; platform_system == "Windows"`, [2]string{`flask = "^3.0"`, `flask = "^3.1"`}},
		{"pipenv-app", FormatPipenv, "colorama==0.4.6 ; platform_system == 'Windows'", [2]string{}},
	} {
		t.Run(c.dir, func(t *testing.T) {
			dir := renderedTestdata(t, c.dir, fakeWheels)
			in, _ := readAppDir(t, dir)
			plan, err := Read(in)
			if err != nil {
				t.Fatal(err)
			}
			if plan.Format != c.format {
				t.Errorf("read as %s, want %s", plan.Format, c.format)
			}
			lines := strings.Split(plan.Requirements, "\n")
			for name, w := range fakeWheels {
				found := false
				for _, line := range lines {
					if strings.HasPrefix(line, name+"=="+w.Version+" ") && strings.Contains(line, "--hash=sha256:"+w.SHA256) {
						found = true
					}
				}
				if !found {
					t.Errorf("%s %s with sha256 %s is not pinned:\n%s", name, w.Version, w.SHA256, plan.Requirements)
				}
			}
			if !strings.Contains(plan.Requirements, c.marker+" --hash=") {
				t.Errorf("colorama is not pinned with its marker (%s):\n%s", c.marker, plan.Requirements)
			}
			for _, dev := range []string{"pytest", "iniconfig", "pluggy", "pygments", "packaging", "@"} {
				if strings.Contains(plan.Requirements, dev) {
					t.Errorf("%q in the requirements:\n%s", dev, plan.Requirements)
				}
			}
			if c.edit[0] == "" {
				return
			}
			pyproject := filepath.Join(dir, "pyproject.toml")
			text, _ := os.ReadFile(pyproject)
			if !strings.Contains(string(text), c.edit[0]) {
				t.Fatalf("pyproject.toml has no %s", c.edit[0])
			}
			os.WriteFile(pyproject, []byte(strings.Replace(string(text), c.edit[0], c.edit[1], 1)), 0o644)
			in, _ = readAppDir(t, dir)
			if _, err := Read(in); err == nil || !strings.Contains(err.Error(), "is out of date") {
				t.Errorf("after %s became %s: %v, want the lock out of date", c.edit[0], c.edit[1], err)
			}
		})
	}
}

// TestATemplateNamingAPackageTheWheelsLackFailsInOneLine: the wheels of the day lack
// flask, the templates need it.
func TestATemplateNamingAPackageTheWheelsLackFailsInOneLine(t *testing.T) {
	wheels := map[string]fixture.Wheel{}
	for name, w := range fakeWheels {
		if name != "flask" {
			wheels[name] = w
		}
	}
	err := fixture.RenderTree(filepath.Join("..", "..", "testdata", "uv-app"), filepath.Join(t.TempDir(), "uv-app"), wheels)
	if err == nil || err.Error() != "uv-app/uv.lock: @flask.version@ names a package of which there is no wheel" {
		t.Fatalf("got %v", err)
	}
}
