package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/multistage/multistage/pipeline/bench"
)

// TestMain lets a test run the CLI as a subprocess of the test binary itself.
func TestMain(m *testing.M) {
	if args := os.Getenv("MULTISTAGE_TEST_CLI_ARGS"); args != "" {
		os.Exit(run(strings.Fields(args)))
	}
	os.Exit(m.Run())
}

// cli runs the CLI with args in a subprocess and returns its exit code and stderr.
func cli(t *testing.T, env []string, args string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Dir = ".."
	// As from a shell outside `dagger run`: no session to join.
	cmd.Env = append(append(bench.WithoutSession(os.Environ()), env...), "MULTISTAGE_TEST_CLI_ARGS="+args)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stderr.String()
}

func TestNoEngineIsOneLineAndExitTwo(t *testing.T) {
	for name, env := range map[string][]string{
		"no CLI binary":      {"_EXPERIMENTAL_DAGGER_CLI_BIN=/nonexistent/dagger", "_EXPERIMENTAL_DAGGER_RUNNER_HOST=unix:///nonexistent.sock"},
		"unreachable runner": {"_EXPERIMENTAL_DAGGER_CLI_BIN=/bin/false", "_EXPERIMENTAL_DAGGER_RUNNER_HOST=unix:///nonexistent.sock"},
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			code, stderr := cli(t, append(env, "MULTISTAGE_CONNECT_TIMEOUT=10s"), "compare")
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != exitUsage || len(lines) != 1 || !strings.HasPrefix(lines[0], "multistage: no reachable Dagger engine") {
				t.Fatalf("exit %d, want 2 and one line; stderr:\n%s", code, stderr)
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
				t.Fatalf("stack trace in output:\n%s", stderr)
			}
			if took := time.Since(start); took > 30*time.Second {
				t.Fatalf("took %s", took)
			}
		})
	}
}

func TestMalformedBudgetsAreRefusedBeforeConnecting(t *testing.T) {
	cases := map[string]string{
		"compare --max-size fat=1MB":      `multistage: size budget "fat=1MB": unknown variant "fat"`,
		"compare --max-size minimal":      `multistage: size budget "minimal" is not valid: use VARIANT=SIZE, for example multi-stage=150MB`,
		"compare --min-reduction lots":    `multistage: minimum reduction "lots" is not valid: use a percentage from 0 to 100`,
		"compare --max-waste lots":        `multistage: waste budget: size "lots" is not valid`,
		"compare --max-size minimal=35XB": `multistage: size budget "minimal=35XB": size "35XB" is not valid`,
	}
	for args, want := range cases {
		// No engine is reachable here: a budget error must come first.
		code, stderr := cli(t, []string{"_EXPERIMENTAL_DAGGER_CLI_BIN=/nonexistent", "MULTISTAGE_CONNECT_TIMEOUT=5s"}, args)
		if code != exitUsage || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and %q", args, code, stderr, want)
		}
	}
}
