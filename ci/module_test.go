package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multistage/multistage/internal/testenv"
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
			cmd := exec.Command(dagger, append([]string{"call", "--progress=plain"}, c.args...)...)
			cmd.Dir = testenv.RepoRoot()
			// A session of its own: `dagger call` cannot nest in the session of `dagger run`.
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "DAGGER_SESSION_") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("dagger call succeeded:\n%s", out)
			}
			if !strings.Contains(string(out), c.want) {
				t.Fatalf("output lacks %q:\n%s", c.want, lastLines(string(out), 15))
			}
		})
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
