package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

// parse runs kong's parser only: no command runs, no engine is needed.
func parse(t *testing.T, args ...string) (*CLI, string, error) {
	t.Helper()
	cli := &CLI{}
	parser, err := newParser(cli)
	if err != nil {
		t.Fatal(err)
	}
	kctx, err := parser.Parse(args)
	if err != nil {
		return cli, "", err
	}
	return cli, kctx.Command(), nil
}

func TestCompareDefaults(t *testing.T) {
	t.Chdir("..") // sample-app must exist: --app is an existing directory
	cli, cmd, err := parse(t, "compare")
	if err != nil {
		t.Fatal(err)
	}
	c := cli.Compare
	if cmd != "compare" || !strings.HasSuffix(c.App, "sample-app") || c.PythonVersion != "" || c.Port != 5000 ||
		c.Timeout != 30*time.Second || c.Format != "table" || c.Expect != "" || c.CheckPath != "" || c.ExpectStatus != 0 {
		t.Fatalf("defaults wrong: %s %+v", cmd, c)
	}
}

func TestCompareFlagsAndEnv(t *testing.T) {
	t.Chdir("..")
	t.Setenv("MULTISTAGE_TIMEOUT", "5s")
	t.Setenv("MULTISTAGE_WHEELS", "pipeline")
	cli, _, err := parse(t, "compare", "--format", "json", "--python-version", "3.12",
		"--builder-base", "b.tar", "--runtime-base", "python:3.12-slim", "--export", "out", "--port", "8080")
	if err != nil {
		t.Fatal(err)
	}
	c := cli.Compare
	if c.Format != "json" || c.PythonVersion != "3.12" || c.BuilderBase != "b.tar" || c.RuntimeBase != "python:3.12-slim" ||
		c.Export != "out" || c.Port != 8080 || c.Timeout != 5*time.Second || !strings.HasSuffix(c.Wheels, "pipeline") {
		t.Fatalf("flags wrong: %+v", c)
	}
}

// The verdict names --allow-secrets, the module's argument; the CLI takes it too, beside
// its own --allow-secret, so that the fix a verdict names works from either front.
func TestAllowSecretsIsTheCLIsFlagToo(t *testing.T) {
	t.Chdir("..")
	cli, _, err := parse(t, "compare", "--allow-secret", "a.py", "--allow-secrets", "settings.py")
	if err != nil {
		t.Fatal(err)
	}
	if got := cli.Compare.AllowSecret; len(got) != 2 || got[0] != "a.py" || got[1] != "settings.py" {
		t.Fatalf("--allow-secret and --allow-secrets gave %v", got)
	}
}

func TestBadFlagsAreRefused(t *testing.T) {
	t.Chdir("..")
	// kit's --dir may come from the environment (a machine that keeps its kit there):
	// this test is about the flag missing.
	t.Setenv("MULTISTAGE_KIT_DIR", "")
	os.Unsetenv("MULTISTAGE_KIT_DIR")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"compare", "--format", "yaml"}, `--format must be one of "table","json","markdown","html" but got "yaml"`},
		{[]string{"compare", "--timeout", "soon"}, "--timeout"},
		{[]string{"compare", "--app", "no-such-dir"}, "no-such-dir"},
		{[]string{"build", "fat"}, `<variant> must be one of "minimal","multi-stage","single-stage","tutorial" but got "fat"`},
		{[]string{"check"}, "expected \"<variant>\""},
		{[]string{"kit"}, "missing flags: --dir"},
		{[]string{"deploy"}, "unexpected argument deploy"},
	}
	for _, c := range cases {
		_, _, err := parse(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: want error containing %q, got %v", c.args, c.want, err)
		}
	}
}

func TestRunExitsTwoOnBadFlags(t *testing.T) {
	t.Chdir("..")
	if code := run([]string{"compare", "--format", "yaml"}); code != exitUsage {
		t.Fatalf("exit code %d, want %d", code, exitUsage)
	}
}
