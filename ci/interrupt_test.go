package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/multistage/multistage/internal/testenv"
	"github.com/multistage/multistage/pipeline/bench"
)

// TestInterruptDuringExportLeavesNoTempFiles sends SIGINT to the CLI as soon as an
// export's temporary file appears, and expects the CLI to stop and clean up.
func TestInterruptDuringExportLeavesNoTempFiles(t *testing.T) {
	testenv.Client(t) // skips without an engine
	k := testenv.Kit(t)
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Dir = ".."
	// A session of the CLI's own, as from a shell: under `dagger run` the outer
	// session writes the exported files, and it may still be writing after the CLI exits.
	cmd.Env = append(bench.WithoutSession(os.Environ()), "MULTISTAGE_TEST_CLI_ARGS=compare --builder-base "+k.Builder+" --runtime-base "+k.Runtime+
		" --wheels "+k.Wheels+" --export "+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	deadline := time.Now().Add(5 * time.Minute)
	for {
		if temps, _ := filepath.Glob(filepath.Join(dir, ".*")); len(temps) > 0 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("CLI ended before any export file was started: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no export started within 5 minutes")
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		// The interrupt came while the first tarball was being written, seconds before
		// the export could end: the CLI must stop there, saying so in its exit code.
		if err == nil {
			t.Error("the CLI exited 0 after SIGINT: the export was not cancelled")
		}
		if _, err := os.Stat(filepath.Join(dir, "report.json")); err == nil {
			t.Error("the export went on to write report.json after SIGINT")
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the CLI did not stop within 60s of SIGINT")
	}
	if temps, _ := filepath.Glob(filepath.Join(dir, ".*")); len(temps) > 0 {
		t.Fatalf("temporary files left behind: %v", temps)
	}
}
