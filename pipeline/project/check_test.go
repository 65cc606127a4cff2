package project

import (
	"strings"
	"testing"
)

func TestReadTakesTheProjectsOwnCheck(t *testing.T) {
	files := Files{
		"requirements.txt": []byte("flask\n"),
		"app.py":           []byte(flaskApp),
		"pyproject.toml":   []byte("[tool.multistage.check]\npath = \"/health\"\nexpect-status = 204\nexpect = 'ok'\nexpect-regex = '^o'\n"),
	}
	plan, err := Read(Input{Files: files, DefaultPythonVersion: "3.13", Port: 5000})
	if err != nil {
		t.Fatal(err)
	}
	want := CheckSpec{Path: "/health", Status: 204, Expect: "ok", ExpectRegex: "^o"}
	if plan.Check == nil || *plan.Check != want {
		t.Fatalf("want %+v, got %+v", want, plan.Check)
	}
	// A tools-only pyproject.toml does not decide what is installed.
	if plan.Format != FormatRequirements {
		t.Fatalf("the check table changed the format: %s", plan.Format)
	}
	delete(files, "pyproject.toml")
	if plan, err := Read(Input{Files: files, DefaultPythonVersion: "3.13", Port: 5000}); err != nil || plan.Check != nil {
		t.Fatalf("without a table the plan has no check: %+v %v", plan, err)
	}
}

func TestReadRefusesAProjectCheckThatCannotWork(t *testing.T) {
	for table, want := range map[string]string{
		`path = "health"`:       `check path "health" (pyproject.toml [tool.multistage.check]) is not a path: start it with /`,
		`expect-status = 1000`:  `expected status 1000 (pyproject.toml [tool.multistage.check]) is not an HTTP status`,
		`expect-regex = "a(b"`:  `expected body pattern "a(b" (pyproject.toml [tool.multistage.check]) is not a regular expression`,
		`expect-status = "200"`: `pyproject.toml`,
	} {
		files := Files{"requirements.txt": []byte("flask\n"), "app.py": []byte(flaskApp),
			"pyproject.toml": []byte("[tool.multistage.check]\n" + table + "\n")}
		_, err := Read(Input{Files: files, DefaultPythonVersion: "3.13", Port: 5000})
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: want one line containing %q, got %v", table, want, err)
		}
	}
}
