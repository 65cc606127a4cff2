package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/multistage/multistage/internal/testenv"
	"github.com/multistage/multistage/pipeline/bench"
	"github.com/multistage/multistage/pipeline/kit"
	"github.com/multistage/multistage/pipeline/recipe"
	"github.com/multistage/multistage/pipeline/report"
)

// daggerCLI finds the Dagger CLI, or skips: module tests go through `dagger call`.
func daggerCLI(t *testing.T) string {
	t.Helper()
	if !testenv.EngineReachable() {
		t.Skip(testenv.SkipReasonNoEngine)
	}
	if bin := os.Getenv("_EXPERIMENTAL_DAGGER_CLI_BIN"); bin != "" {
		return bin
	}
	bin, err := exec.LookPath("dagger")
	if err != nil {
		t.Skip("no dagger CLI on PATH: install the Dagger CLI v0.21.8 to include the module tests")
	}
	return bin
}

// TestModuleRefusesBadInputInOneLine drives the module's functions through `dagger call`.
func TestModuleRefusesBadInputInOneLine(t *testing.T) {
	dagger := daggerCLI(t)
	empty := t.TempDir()
	noRequirements := t.TempDir()
	if err := os.WriteFile(filepath.Join(noRequirements, "app.py"), []byte("print()\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--app", empty, "compare"}, "app directory is empty: add app.py and requirements.txt"},
		{[]string{"--app", noRequirements, "multi-stage"}, "app directory has no requirements.txt, pyproject.toml or lock file: add requirements.txt, even empty"},
		{[]string{"--python-version", "3", "compare"}, `python version "3" is not valid: use major.minor`},
		{[]string{"check", "--variant", "fat"}, `unknown variant "fat"`},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			// --silent: no progress output, so what is printed is the error alone.
			out, code := daggerCall(t, dagger, append([]string{"--silent"}, c.args...)...)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if code == 0 || len(lines) != 1 || !strings.Contains(lines[0], c.want) {
				t.Fatalf("exit %d, want nonzero and one line containing %q; got:\n%s", code, c.want, lastLines(out, 15))
			}
		})
	}
}

// TestModuleListsItsVariants: `dagger call variants` names every variant compare
// builds, with its description, one a line (the names --variants and check take).
func TestModuleListsItsVariants(t *testing.T) {
	dagger := daggerCLI(t)
	out, code := daggerCall(t, dagger, "--silent", "variants")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != len(recipe.Variants) {
		t.Fatalf("exit %d, %d lines, want %d:\n%s", code, len(lines), len(recipe.Variants), out)
	}
	for i, v := range recipe.Variants {
		if lines[i] != v.Name+": "+v.Description {
			t.Errorf("line %d: %q, want %q", i+1, lines[i], v.Name+": "+v.Description)
		}
	}
}

// lastLines is testenv.LastLines, short for these tests.
var lastLines = testenv.LastLines

// testCheckTimeout bounds the module's checks in tests: they run beside the other
// packages' on two cores, where an app's start can wait far longer than alone.
const testCheckTimeout = "90s"

// daggerCall runs `dagger call ARGS` in the repository, in a session of its own, and
// returns its combined output and exit code.
func daggerCall(t *testing.T, dagger string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(dagger, append([]string{"call", "--progress=plain"}, args...)...)
	cmd.Dir = testenv.RepoRoot()
	cmd.Env = append(bench.WithoutSession(os.Environ()), "DAGGER_NO_NAG=1")
	out, err := cmd.CombinedOutput()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// TestCIWritesTheReportWhateverTheVerdict runs the two CI lines through `dagger call`:
// out/ is written in full when a budget or a check fails, and the verdict fails the
// job with the FAILED line last; when all passes, both exit 0 with the same files.
func TestCIWritesTheReportWhateverTheVerdict(t *testing.T) {
	dagger := daggerCLI(t)
	wheels := testenv.Kit(t).Wheels
	leaky := appWithAnAWSKey(t)
	cases := []struct {
		name       string
		settings   []string
		budgets    []string
		failedLine string // "" when the verdict passes
	}{
		{"budget fails", nil, []string{"--max-size", "minimal=1MB"}, "FAILED: max-size minimal=1.0 MB: over by"},
		{"check fails", []string{"--expect", "not what the app says"}, nil, "FAILED: single-stage, multi-stage, minimal did not pass its check"},
		{"secret found", []string{"--app", leaky}, nil,
			"FAILED: secret in settings.py:4 (aws-access-token) in single-stage, multi-stage, minimal, tutorial, accept it with --allow-secrets settings.py."},
		{"secret accepted", []string{"--app", leaky, "--allow-secrets", "settings.py"}, nil, ""},
		{"all pass", nil, []string{"--max-size", "minimal=35MB"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append(append([]string{"--wheels", wheels, "--timeout", testCheckTimeout}, c.settings...), "export")
			args = append(append(args, c.budgets...), "export", "--path", out)
			text, code := daggerCall(t, dagger, args...)
			if code != 0 {
				t.Fatalf("export exited %d:\n%s", code, lastLines(text, 20))
			}
			for _, file := range []string{"report.json", "report.md", "report.txt", "report.html", "single-stage.tar", "multi-stage.tar", "minimal.tar", "tutorial.tar",
				"single-stage.cdx.json", "multi-stage.cdx.json", "minimal.cdx.json", "tutorial.cdx.json"} {
				if st, err := os.Stat(filepath.Join(out, file)); err != nil || st.Size() == 0 {
					t.Errorf("out/ lacks %s: %v", file, err)
				}
			}
			text, code = daggerCall(t, dagger, "verdict", "--report", filepath.Join(out, "report.json"))
			last := lastLines(strings.TrimSpace(text), 1)
			t.Logf("%s: verdict exit %d, last line %q", c.name, code, last)
			switch {
			case c.failedLine == "" && (code != 0 || !strings.HasPrefix(last, "OK:")):
				t.Errorf("a passing verdict exited %d, last line %q", code, last)
			case c.failedLine != "" && (code == 0 || !strings.Contains(last, c.failedLine)):
				t.Errorf("a failing verdict exited %d, last line %q, want %q last:\n%s", code, last, c.failedLine, lastLines(text, 10))
			}
		})
	}
}

// appWithAnAWSKey is the sample app with a made-up AWS access key ID in settings.py.
func appWithAnAWSKey(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	sample := filepath.Join(testenv.RepoRoot(), "sample-app")
	entries, err := os.ReadDir(sample)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(sample, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	settings := "import os\n\nDEBUG = False\nAWS_ACCESS_KEY_ID = \"AKIAZ7VRSQ5TJRHXLPDE\"\n"
	if err := os.WriteFile(filepath.Join(dir, "settings.py"), []byte(settings), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestModuleWritesAnSBOM: `dagger call sbom --variant minimal` returns minimal's
// CycloneDX document, listing the app's packages.
func TestModuleWritesAnSBOM(t *testing.T) {
	dagger := daggerCLI(t)
	out := filepath.Join(t.TempDir(), "minimal.cdx.json")
	text, code := daggerCall(t, dagger, "--wheels", testenv.Kit(t).Wheels, "sbom", "--variant", "minimal", "export", "--path", out)
	if code != 0 {
		t.Fatalf("sbom exited %d:\n%s", code, lastLines(text, 20))
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var bom struct {
		BOMFormat, SpecVersion string
		Components             []struct{ Purl string }
	}
	if err := json.Unmarshal(data, &bom); err != nil {
		t.Fatal(err)
	}
	flask := false
	for _, c := range bom.Components {
		flask = flask || strings.HasPrefix(c.Purl, "pkg:pypi/flask@")
	}
	if bom.BOMFormat != "CycloneDX" || bom.SpecVersion != "1.6" || !flask {
		t.Errorf("not minimal's CycloneDX SBOM with flask: %.400s", data)
	}
}

// startStampedApp writes an app that names its own start in the Server header: a check
// that really ran shows a new stamp, a cached verdict the old one.
func startStampedApp(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	app := `import time
from flask import Flask
from werkzeug.serving import WSGIRequestHandler

app = Flask(__name__)
STARTED = str(time.time_ns())


class Stamped(WSGIRequestHandler):
    def version_string(self):
        return "started-" + STARTED


@app.route("/")
def hello():
    return "Hello, Multi-Stage Build Python Application!"


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000, request_handler=Stamped)
`
	for name, content := range map[string]string{"app.py": app, "requirements.txt": "flask\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var (
	pipInstallRun = regexp.MustCompile(`(?m)^(\d+)\s*:.*\bwithExec\b.*\bpip\b.*\binstall\b`)
	cachedExec    = regexp.MustCompile(`(?m)^(\d+)\s*:.*Container\.withExec CACHED`)
)

// TestRepeatedCompareChecksAgain: two identical `dagger call compare` in a row both
// start the app and check it (each report carries its own start stamp), while the
// second build answers from the layer cache (no pip install runs again).
func TestRepeatedCompareChecksAgain(t *testing.T) {
	dagger := daggerCLI(t)
	app := startStampedApp(t)
	args := []string{"--app", app, "--wheels", testenv.Kit(t).Wheels, "--timeout", testCheckTimeout, "compare", "--format", "json"}
	var stamps []string
	var second string
	for i := 0; i < 2; i++ {
		out, code := daggerCall(t, dagger, args...)
		if code != 0 {
			t.Fatalf("compare exited %d:\n%s", code, lastLines(out, 20))
		}
		second = out
		start := strings.Index(out, "{\n")
		var report report.Report
		if start < 0 || json.NewDecoder(strings.NewReader(out[start:])).Decode(&report) != nil {
			t.Fatalf("no JSON report in:\n%s", lastLines(out, 20))
		}
		stamps = append(stamps, report.Images[0].Check.Server)
	}
	t.Logf("single-stage answered as %q, then %q", stamps[0], stamps[1])
	if !strings.HasPrefix(stamps[0], "started-") || stamps[0] == stamps[1] {
		t.Errorf("the second compare did not start the app again: %q then %q", stamps[0], stamps[1])
	}
	clean := regexp.MustCompile(`\x1b\[[0-9;]*[a-zA-Z]`).ReplaceAllString(second, "")
	cached := map[string]bool{}
	for _, m := range cachedExec.FindAllStringSubmatch(clean, -1) {
		cached[m[1]] = true
	}
	installs := pipInstallRun.FindAllStringSubmatch(clean, -1)
	if len(installs) == 0 {
		t.Errorf("the second compare's progress output shows no pip install step: cannot tell that it was cached")
	}
	for _, m := range installs {
		if !cached[m[1]] {
			t.Errorf("the second compare ran pip install again (span %s)", m[1])
		}
	}
}

// TestBaseTagsResolveAfreshEachCall moves python:3.13-slim to a new image in the
// registry the engine mirrors Docker Hub to (the kit's --push target), between two
// identical `dagger call compare`: the second report must name the new digest.
func TestBaseTagsResolveAfreshEachCall(t *testing.T) {
	dagger := daggerCLI(t)
	registry := os.Getenv("MULTISTAGE_TEST_REGISTRY")
	if registry == "" {
		t.Skip("no MULTISTAGE_TEST_REGISTRY: name the registry (HOST:PORT) the engine mirrors docker.io to, to include the re-tag test")
	}
	k := testenv.Kit(t)
	ctx := context.Background()
	tag := "library/python:3.13-slim"
	if _, err := kit.PushBaseImage(ctx, k.Runtime, registry, tag); err != nil {
		t.Fatal(err)
	}
	// Whatever happens, the tag points at the kit's runtime again afterwards.
	t.Cleanup(func() { kit.PushBaseImage(ctx, k.Runtime, registry, tag) })
	ref, err := name.ParseReference(registry+"/"+tag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	original, err := remote.Image(ref, remote.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	moved, err := mutate.Config(original, withLabel(t, original, "io.multistage.test", time.Now().String()))
	if err != nil {
		t.Fatal(err)
	}

	runtimeBase := func() string {
		// One variant is enough to name the bases, and keeps the test light.
		out, code := daggerCall(t, dagger, "--wheels", k.Wheels, "--timeout", testCheckTimeout, "compare", "--format", "json", "--variants", "single-stage")
		if code != 0 {
			t.Fatalf("compare exited %d:\n%s", code, lastLines(out, 20))
		}
		var report report.Report
		start := strings.Index(out, "{\n")
		if start < 0 || json.NewDecoder(strings.NewReader(out[start:])).Decode(&report) != nil {
			t.Fatalf("no JSON report in:\n%s", lastLines(out, 20))
		}
		for _, b := range report.Bases {
			if b.Role == "runtime" {
				return b.Ref
			}
		}
		t.Fatal("the report names no runtime base")
		return ""
	}
	before := runtimeBase()
	if err := remote.Write(ref, moved, remote.WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	want, _ := moved.Digest()
	after := runtimeBase()
	t.Logf("runtime base before: %s; after the tag moved: %s", before, after)
	if !strings.HasSuffix(after, "@"+want.String()) {
		t.Errorf("after the tag moved to %s the report names %s", want, after)
	}
}

// withLabel is image's config with one more label: a new image digest, the same files.
func withLabel(t *testing.T, image v1.Image, key, value string) v1.Config {
	t.Helper()
	file, err := image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	config := file.Config
	labels := map[string]string{key: value}
	for k, v := range config.Labels {
		labels[k] = v
	}
	config.Labels = labels
	return config
}

// TestExportImageReachesDocker: `dagger call multi-stage export-image` puts the image
// into a real Docker daemon, which runs it and gets the app's answer. With an engine
// reached over a socket (not started by the CLI in Docker), the CLI is told to load
// images with `docker load` (_EXPERIMENTAL_DAGGER_RUNNER_IMAGESTORE=docker-image),
// which Dagger's Docker driver does by itself.
func TestExportImageReachesDocker(t *testing.T) {
	dagger := daggerCLI(t)
	docker := testenv.Docker(t)
	wheels := testenv.Kit(t).Wheels
	tag := fmt.Sprintf("multistage/exported:%d", time.Now().UnixNano())
	cmd := exec.Command(dagger, "call", "--progress=plain", "--wheels", wheels, "multi-stage", "export-image", "--name", tag)
	cmd.Dir = testenv.RepoRoot()
	cmd.Env = append(bench.WithoutSession(os.Environ()), "DOCKER_HOST="+docker.Host, "DAGGER_NO_NAG=1")
	if !strings.Contains(os.Getenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST"), "docker-") {
		cmd.Env = append(cmd.Env, "_EXPERIMENTAL_DAGGER_RUNNER_IMAGESTORE=docker-image")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("export-image: %v\n%s", err, lastLines(string(out), 15))
	}
	testenv.HoldHostPort(t, 5000)
	name := fmt.Sprintf("multistage-exported-%d", time.Now().UnixNano())
	docker.Run(t, "run", "-d", "--name", name, "--network", "host", tag)
	t.Cleanup(func() { docker.Run(t, "rm", "-f", name) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://127.0.0.1:5000/")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) != bench.SampleAppBody {
				t.Fatalf("the exported image answered %q", body)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the exported image did not answer within 30s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
