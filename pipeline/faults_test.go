package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dagger.io/dagger"
	"github.com/multistage/multistage/internal/testenv"
	"github.com/multistage/multistage/pipeline"
	"github.com/multistage/multistage/pipeline/bench"
	"github.com/multistage/multistage/pipeline/failure"
	"github.com/multistage/multistage/pipeline/recipe"
)

// appDir writes an app directory from file contents.
func appDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const flaskApp = `from flask import Flask
import time
app = Flask(__name__)
%s
if __name__ == "__main__":
    app.run(host="0.0.0.0", port=%s)
`

func flask(route, port string) map[string]string {
	return map[string]string{"requirements.txt": "flask\n", "app.py": strings.Replace(strings.Replace(flaskApp, "%s", route, 1), "%s", port, 1)}
}

func TestBadAppDirectoriesAreRefusedBeforeBuilding(t *testing.T) {
	client := testenv.Client(t)
	cases := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"empty", map[string]string{}, "app directory is empty: add app.py and requirements.txt"},
		{"no requirements", map[string]string{"app.py": "print()"}, "app directory has no requirements.txt, pyproject.toml or lock file: add requirements.txt, even empty"},
		{"no app.py", map[string]string{"requirements.txt": ""}, "app directory has no app.py: add it, or pass --command"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := pipeline.New(context.Background(), client, pipeline.Options{Options: recipe.Options{App: client.Host().Directory(appDir(t, c.files))}})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want %q, got %v", c.want, err)
			}
		})
	}
	_, err := pipeline.New(context.Background(), client, pipeline.Options{Options: recipe.Options{App: client.Host().Directory(filepath.Join(t.TempDir(), "missing"))}})
	if err == nil || !strings.Contains(err.Error(), "app directory cannot be read") {
		t.Fatalf("missing directory: %v", err)
	}
}

func TestFaultyAppsFailTheirCheckClearlyAndInTime(t *testing.T) {
	testenv.Client(t) // skip the whole table without an engine
	cases := []struct {
		name     string
		files    map[string]string
		want     string // in the check's error
		wantLogs string // in the captured logs
	}{
		{"crash at start", map[string]string{"requirements.txt": "flask\n", "app.py": "raise RuntimeError('config missing')\n"},
			"the app exited before answering", "RuntimeError: config missing"},
		{"another port", flask(`@app.route("/")
def hi():
    return "Hello, Multi-Stage Build Python Application!"`, "5001"), "no good answer within 5s", "Running on"},
		{"another body", flask(`@app.route("/")
def hi():
    return "bye"`, "5000"), `GET / answered 200 "bye", want a body containing "Hello, Multi-Stage Build Python Application!"`, ""},
		{"answers 500", flask(`@app.route("/")
def hi():
    return "oops", 500`, "5000"), `answered 500 "oops"`, ""},
		{"slower than the timeout", flask(`time.sleep(60)
@app.route("/")
def hi():
    return "late"`, "5000"), "no good answer within 5s", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The sample's body is asked for: an app that answers another one fails.
			p := kitPipeline(t, appDir(t, c.files), func(o *pipeline.Options) { o.CheckTimeout, o.Expect = 5*time.Second, bench.SampleAppBody })
			image := p.Recipes().SingleStage()
			if _, err := image.Sync(context.Background()); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			result := p.Check(context.Background(), recipe.VariantSingleStage, image)
			took := time.Since(start)
			if result.Passed || !strings.Contains(result.Error, c.want) {
				t.Fatalf("want a failed check saying %q, got %+v", c.want, result)
			}
			if logs := strings.Join(result.Logs, "\n"); !strings.Contains(logs, c.wantLogs) {
				t.Errorf("logs lack %q:\n%s", c.wantLogs, logs)
			}
			// The timeout, plus engine overhead and the few seconds of log capture.
			if took > 5*time.Second+25*time.Second {
				t.Errorf("check took %s with a 5s timeout", took)
			}
			t.Logf("%s: %s (%s)", c.name, result.Error, took.Round(time.Millisecond))
		})
	}
}

func TestBuildFailuresSurfacePipsOwnError(t *testing.T) {
	testenv.Client(t) // skip the whole table without an engine
	cases := map[string]string{
		"unknown package": "flask\nno-such-package-multistage\n",
		"missing wheel":   "flask\nrequests\n",
	}
	for name, requirements := range cases {
		t.Run(name, func(t *testing.T) {
			p := kitPipeline(t, appDir(t, map[string]string{"app.py": "print()", "requirements.txt": requirements}), nil)
			_, err := p.Recipes().SingleStage().Sync(context.Background())
			if err == nil {
				t.Fatal("built although a requirement cannot be found")
			}
			msg := failure.Describe(err)
			if !strings.Contains(msg, "ERROR: ") || !strings.Contains(msg, "pip install") || strings.Contains(msg, "\n") {
				t.Fatalf("want pip's ERROR line on one line, got %q", msg)
			}
			t.Log(msg)
		})
	}
}

func TestEmptyWheelsDirectoryIsRefusedBeforeBuilding(t *testing.T) {
	client := testenv.Client(t)
	_, err := pipeline.New(context.Background(), client, pipeline.Options{
		Options: recipe.Options{
			App:    client.Host().Directory(sampleApp),
			Wheels: client.Host().Directory(t.TempDir()),
		},
	})
	if err == nil || !strings.Contains(err.Error(), "wheels directory holds no .whl file") {
		t.Fatalf("got %v", err)
	}
}

// stdlibOnlyApp serves "stdlib only" with Python's own http.server: it needs no package.
var stdlibOnlyApp = map[string]string{"requirements.txt": "", "app.py": `import http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"stdlib only")
http.server.HTTPServer(("0.0.0.0", 5000), H).serve_forever()
`}

func TestEmptyRequirementsBuildAndServe(t *testing.T) {
	app := appDir(t, stdlibOnlyApp)
	p := kitPipeline(t, app, func(o *pipeline.Options) { o.Expect = "stdlib only" })
	for _, variant := range []string{recipe.VariantSingleStage, recipe.VariantMultiStage, recipe.VariantMinimal} {
		image, err := p.Build(context.Background(), variant)
		if err != nil {
			t.Fatal(err)
		}
		if result := p.Check(context.Background(), recipe.VariantSingleStage, image); !result.Passed {
			t.Errorf("%s with empty requirements: %+v", variant, result)
		}
	}
}

// TestAVariantExpectedToFailIsCheckedWhenItKeepsRunning: the tutorial's recipe works
// for an app that needs no package; its app does not exit, so it gets the full check
// through a service, and passes: "expected to fail" decides nothing by itself.
func TestAVariantExpectedToFailIsCheckedWhenItKeepsRunning(t *testing.T) {
	app := appDir(t, stdlibOnlyApp)
	compared, _ := kitPipeline(t, app, func(o *pipeline.Options) {
		o.Expect, o.Variants = "stdlib only", []string{recipe.VariantTutorial}
	}).Compare(context.Background())
	if check := compared.Images[0].Check; !check.Passed || check.Attempts == 0 {
		t.Errorf("the tutorial's image serves this app, yet its check says %+v", check)
	}
}

func TestBasesWithDifferentPythonsAreRefusedBeforeBuilding(t *testing.T) {
	client := testenv.Client(t)
	k := testenv.Kit(t)
	// A runtime whose `python` says it is 3.12 at another path: the refusal must name both.
	other := client.Container().Import(client.Host().File(k.Runtime)).
		WithNewFile("/usr/local/bin/python", "#!/bin/sh\necho 3.12\necho /usr/local/bin/python3.12\n", dagger.ContainerWithNewFileOpts{Permissions: 0o755})
	p := kitPipeline(t, sampleApp, func(o *pipeline.Options) { o.RuntimeBase = other })
	_, err := p.Recipes().Production(context.Background())
	want := "builder base has Python 3.13 but runtime base has Python 3.12: use bases of the same minor version"
	if err == nil || err.Error() != want {
		t.Fatalf("want %q, got %v", want, err)
	}
}
