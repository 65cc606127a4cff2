package main

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"
)

// documentedCommands are the two `dagger call` lines every CI vendor runs, as the
// README gives them: the export (which writes out/ whatever the verdict) and the verdict.
func documentedCommands(t *testing.T) (export, verdict string) {
	t.Helper()
	f, err := os.Open("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		switch {
		case strings.HasPrefix(line, "dagger call export --max-size") && export == "":
			export = line
		case strings.HasPrefix(line, "dagger call verdict --report") && verdict == "":
			verdict = line
		}
	}
	if export == "" || verdict == "" {
		t.Fatal("README.md gives no `dagger call export --max-size …` and `dagger call verdict --report …` lines for CI")
	}
	return export, verdict
}

func TestGitHubWorkflowsPassActionlint(t *testing.T) {
	files, _ := filepath.Glob("../.github/workflows/*.yml")
	if len(files) == 0 {
		t.Fatal("no GitHub workflow")
	}
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := linter.LintFiles(files, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("actionlint: %s", e.Error())
	}
	// The linter does catch a broken workflow (an unknown action input's context).
	broken := "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope_nope }}\n"
	if errs, _ := linter.Lint("broken.yml", []byte(broken), nil); len(errs) == 0 {
		t.Fatal("actionlint found nothing wrong in a broken workflow")
	}
}

func TestGitHubWorkflowRunsTheDocumentedCommand(t *testing.T) {
	var workflow struct {
		Jobs map[string]struct {
			Steps []struct {
				Uses string            `yaml:"uses"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	readYAML(t, "../.github/workflows/compare.yml", &workflow)
	export, verdict := documentedCommands(t)
	var got []string
	for _, step := range workflow.Jobs["compare"].Steps {
		if strings.HasPrefix(step.Uses, "dagger/dagger-for-github@") {
			if step.With["version"] != "0.21.8" {
				t.Errorf("the action runs version %q, want 0.21.8", step.With["version"])
			}
			got = append(got, "dagger "+step.With["verb"]+" "+step.With["args"])
		}
	}
	if len(got) != 2 || got[0] != export || got[1] != verdict {
		t.Fatalf("the compare job's Dagger steps run %q, want %q then %q", got, export, verdict)
	}
	steps := workflow.Jobs["compare"].Steps
	if !strings.HasPrefix(steps[len(steps)-1].Uses, "dagger/dagger-for-github@") {
		t.Errorf("the verdict must be the last step, after the summary and the artifact")
	}
}

func TestGitLabAndCircleCIRunTheDocumentedCommand(t *testing.T) {
	export, verdict := documentedCommands(t)
	var gitlab struct {
		Compare struct {
			Script    []string `yaml:"script"`
			Artifacts struct {
				Paths []string `yaml:"paths"`
			} `yaml:"artifacts"`
		} `yaml:"compare"`
	}
	readYAML(t, "../.gitlab-ci.yml", &gitlab)
	if len(gitlab.Compare.Script) != 2 || gitlab.Compare.Script[0] != export || gitlab.Compare.Script[1] != verdict {
		t.Errorf("GitLab compare script %q, want exactly %q then %q", gitlab.Compare.Script, export, verdict)
	}
	if len(gitlab.Compare.Artifacts.Paths) == 0 || gitlab.Compare.Artifacts.Paths[0] != "out/" {
		t.Errorf("GitLab publishes %v, want out/", gitlab.Compare.Artifacts.Paths)
	}

	var circle struct {
		Version float64 `yaml:"version"`
		Jobs    map[string]struct {
			Steps []yaml.Node `yaml:"steps"`
		} `yaml:"jobs"`
	}
	readYAML(t, "../.circleci/config.yml", &circle)
	var commands []string
	for _, node := range circle.Jobs["compare"].Steps {
		var step struct {
			Run struct {
				Command string `yaml:"command"`
			} `yaml:"run"`
		}
		if node.Decode(&step) == nil && step.Run.Command != "" {
			commands = append(commands, step.Run.Command)
		}
	}
	if circle.Version != 2.1 || len(commands) < 2 || commands[len(commands)-2] != export || commands[len(commands)-1] != verdict {
		t.Errorf("CircleCI %v runs %q, want %q then %q last", circle.Version, commands, export, verdict)
	}
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, into); err != nil {
		t.Fatalf("%s is not valid YAML: %v", path, err)
	}
}
