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

// documentedCommand is the one `dagger call` line every CI vendor runs, as the README gives it.
func documentedCommand(t *testing.T) string {
	t.Helper()
	f, err := os.Open("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		if line := strings.TrimSpace(scanner.Text()); strings.HasPrefix(line, "dagger call export --max-size") {
			return line
		}
	}
	t.Fatal("README.md gives no `dagger call export --max-size …` line for CI")
	return ""
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
	want := documentedCommand(t)
	for _, step := range workflow.Jobs["compare"].Steps {
		if strings.HasPrefix(step.Uses, "dagger/dagger-for-github@") {
			if got := "dagger " + step.With["verb"] + " " + step.With["args"]; got != want || step.With["version"] != "0.21.8" {
				t.Fatalf("the action runs %q (version %q), want %q (0.21.8)", got, step.With["version"], want)
			}
			return
		}
	}
	t.Fatal("the compare job does not use Dagger's official action")
}

func TestGitLabAndCircleCIRunTheDocumentedCommand(t *testing.T) {
	want := documentedCommand(t)
	var gitlab struct {
		Compare struct {
			Script    []string `yaml:"script"`
			Artifacts struct {
				Paths []string `yaml:"paths"`
			} `yaml:"artifacts"`
		} `yaml:"compare"`
	}
	readYAML(t, "../.gitlab-ci.yml", &gitlab)
	if len(gitlab.Compare.Script) != 1 || gitlab.Compare.Script[0] != want {
		t.Errorf("GitLab compare script %q, want exactly %q", gitlab.Compare.Script, want)
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
	if circle.Version != 2.1 || len(commands) == 0 || commands[len(commands)-1] != want {
		t.Errorf("CircleCI %v runs %q last, want %q", circle.Version, commands, want)
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
