package project

import (
	"fmt"
	"regexp"
	"strings"
)

// CheckSpec is the check a project asks for in its own pyproject.toml, under
// [tool.multistage.check]: the path to request and what counts as a good answer.
// Every key is optional; an option given on the command line wins over it.
//
//	[tool.multistage.check]
//	path = "/health"
//	expect-status = 200
//	expect = '"status":"ok"'
type CheckSpec struct {
	// Path is requested with GET; it starts with a slash.
	Path string `toml:"path" json:"path,omitempty"`
	// Status pins the one status that passes; 0 accepts 200–399.
	Status int `toml:"expect-status" json:"expectStatus,omitempty"`
	// Expect is text the body must contain.
	Expect string `toml:"expect" json:"expect,omitempty"`
	// ExpectRegex is a regular expression (Go's RE2 syntax) the body must match.
	ExpectRegex string `toml:"expect-regex" json:"expectRegex,omitempty"`
}

// CheckSource names where a project's CheckSpec is written, for messages and the report.
const CheckSource = "pyproject.toml [tool.multistage.check]"

// check is the project's own check, nil when its pyproject.toml has none.
func (p *pyprojectFile) check() *CheckSpec {
	if p == nil || p.Tool.Multistage == nil {
		return nil
	}
	return p.Tool.Multistage.Check
}

// Validate refuses a check that cannot work, naming where it was written (from).
func (c CheckSpec) Validate(from string) error {
	if c.Path != "" && (!strings.HasPrefix(c.Path, "/") || strings.ContainsAny(c.Path, " \t\r\n")) {
		return fmt.Errorf("check path %q (%s) is not a path: start it with /, for example /health", c.Path, from)
	}
	if c.Status != 0 && (c.Status < 100 || c.Status > 599) {
		return fmt.Errorf("expected status %d (%s) is not an HTTP status: use 100 to 599, or leave it out to accept 200–399", c.Status, from)
	}
	if c.ExpectRegex != "" {
		if _, err := regexp.Compile(c.ExpectRegex); err != nil {
			return fmt.Errorf("expected body pattern %q (%s) is not a regular expression: %v", c.ExpectRegex, from, err)
		}
	}
	return nil
}
