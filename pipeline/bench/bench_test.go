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
