package bench

import (
	"os"
	"strings"
	"testing"
)

// Progress output as the Dagger CLI v0.21.8 prints it (colours included), cut down.
const (
	installRan = "\x1b[95m31  : \x1b[0m┆ withExec pip install --no-cache-dir -r requirements.txt\n" +
		"\x1b[95m31  : \x1b[0m┆ Container.withExec DONE [1.2s]\n" +
		"40  : withExec python -m venv --without-pip /opt/venv\n40  : Container.withExec CACHED [0.0s]\n"
	installCached = "31  : ┆ withExec pip install --no-cache-dir -r requirements.txt\n" +
		"31  : ┆ Container.withExec CACHED [0.0s]\n"
)

func TestColdRunsMustInstallAgain(t *testing.T) {
	if err := checkInstalledAgain(installRan); err != nil {
		t.Errorf("an install that ran was refused: %v", err)
	}
	if err := checkInstalledAgain(installCached); err == nil || !strings.Contains(err.Error(), "answered pip install from the engine's cache") {
		t.Errorf("a replayed install was not caught: %v", err)
	}
	if err := checkInstalledAgain("1 : connect DONE\n"); err == nil || !strings.Contains(err.Error(), "shows no pip install") {
		t.Errorf("progress without an install was not refused: %v", err)
	}
}

// TestColdRunsAreJudgedOnRealProgressOutput reads progress output captured from the
// Dagger CLI v0.21.8 (its exec lines, colours kept): the same compare run twice, once
// installing (a new requirement) and once answered from the cache.
func TestColdRunsAreJudgedOnRealProgressOutput(t *testing.T) {
	installed, err := os.ReadFile("testdata/progress-installed.txt")
	if err != nil {
		t.Fatal(err)
	}
	cached, err := os.ReadFile("testdata/progress-cached.txt")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkInstalledAgain(string(installed)); err != nil {
		t.Errorf("a run that installed was refused: %v", err)
	}
	if err := checkInstalledAgain(string(cached)); err == nil {
		t.Error("a run answered from the cache was taken for a cold one")
	}
}

// TestRenderShowsTheChosenWaysAndTheCase renders a run of the warm and edit
// situations only, podman's column the ratios' base, minimal's size from its ways.
func TestRenderShowsTheChosenWaysAndTheCase(t *testing.T) {
	o := &Outcome{
		Ways: []string{WayPipeline, WayPodman, WayModuleMinimal},
		Results: []Result{
			{Situation: Warm, Seconds: map[string][]float64{WayPipeline: {1, 3, 2}, WayPodman: {4, 4, 4}, WayModuleMinimal: {1.5, 1.5, 1.5}}},
			{Situation: Edit, Seconds: map[string][]float64{WayPipeline: {2, 2, 2}, WayPodman: {8, 8, 8}, WayModuleMinimal: {2.5, 2.5, 2.5}}},
		},
		Sizes: Sizes{
			Pipeline: map[string]int64{"single-stage": 329e6, "multi-stage": 324e6},
			Podman:   map[string]int64{"single-stage": 329e6, "multi-stage": 324e6},
			Module:   map[string]int64{"minimal": 237e6},
		},
		App:     "sample-app",
		BigDeps: &BigDeps{Size: 200e6, Files: 3051},
	}
	var b strings.Builder
	o.Render(&b)
	out := b.String()
	for _, want := range []string{
		"SITUATION              PIPELINE (A)     A/B     PODMAN (B)    MINIMAL (C)\n",
		"warm                          2.00s   0.50x          4.00s          1.50s\n",
		"after app.py edit             2.00s   0.25x          8.00s          2.50s\n",
		"minimal                           -              -       237.0 MB\n",
		"medians of 3 runs",
		"app: sample-app and multistage-bench-bigdeps, a generated pure-Python distribution of 200.0 MB in 3051 files\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "C, cold") {
		t.Errorf("a module load is reported without cold runs:\n%s", out)
	}
}

// TestBigDepsJoinTheAppsRequirements: the copy's requirements.txt names the big
// distribution on a line of its own, whether or not the file ended in a newline.
func TestBigDepsJoinTheAppsRequirements(t *testing.T) {
	for _, before := range []string{"flask\n", "flask"} {
		app := t.TempDir()
		if err := os.WriteFile(app+"/requirements.txt", []byte(before), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := requireBigDeps(app); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(app + "/requirements.txt"); string(got) != "flask\n"+BigDepsProject+"\n" {
			t.Errorf("requirements.txt after %q: %q", before, got)
		}
	}
	if err := requireBigDeps(t.TempDir()); err == nil || !strings.Contains(err.Error(), "requirements.txt") {
		t.Errorf("an app without requirements.txt: %v", err)
	}
}

func TestUnknownWaysAndSituationsAreRefused(t *testing.T) {
	if err := CheckChoice("way", []string{WayPipeline, "docker"}, Ways); err == nil || !strings.Contains(err.Error(), `unknown way "docker"`) {
		t.Errorf("an unknown way: %v", err)
	}
	if err := CheckChoice("way", []string{WayModuleMinimal}, Ways); err != nil {
		t.Error(err)
	}
}

// TestRunsThatRebuiltAreMarked: a warm median that includes a run which installed
// the requirements again (after its retries) is starred, the footnote says why, and
// the runs not counted are counted.
func TestRunsThatRebuiltAreMarked(t *testing.T) {
	o := &Outcome{
		Ways:    []string{WayMinimal},
		Results: []Result{{Situation: Warm, Seconds: map[string][]float64{WayMinimal: {9}}, Retried: map[string]int{WayMinimal: 2}, NotWarm: map[string]int{WayMinimal: 1}}},
		Sizes:   Sizes{Pipeline: map[string]int64{}, Podman: map[string]int64{}, Module: map[string]int64{}},
		App:     "sample-app",
	}
	var b strings.Builder
	o.Render(&b)
	if out := b.String(); !strings.Contains(out, "9.00s*\n") || !strings.Contains(out, "* some of these runs installed the requirements again 3 times running") ||
		!strings.Contains(out, "run again because they installed the requirements again (the engine's cache had lost the build): warm, minimal: 2\n") {
		t.Errorf("a rebuilt run is not marked:\n%s", out)
	}
	if ran, _ := PipInstalls(installRan); ran != 1 {
		t.Errorf("PipInstalls found %d installs that ran, want 1", ran)
	}
}
