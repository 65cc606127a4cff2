package pipeline

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/multistage/multistage/pipeline/secrets"
)

// SecretScan is what the secret scan found in one image: in the app as sent, and in
// what the build made (venv files no package index's RECORD vouches for, a project
// installed from its own directory). The base's files are not read.
type SecretScan struct {
	// Files counts the files read.
	Files    int             `json:"files"`
	Findings []SecretFinding `json:"findings"`
}

// SecretFinding is one secret: where, by which of gitleaks' rules, masked.
type SecretFinding struct {
	// File is the path in the app directory (settings.py), or in the image for what
	// the build made (/opt/venv/...).
	File string `json:"file"`
	Line int    `json:"line"`
	Rule string `json:"rule"`
	// Masked is the secret with all but its first four characters hidden.
	Masked string `json:"masked"`
	// Accepted: --allow-secret named its file; it does not fail the verdict.
	Accepted bool `json:"accepted"`
}

// scanSecrets reads the inventory's files with gitleaks' rules. allowed are the
// files the user accepts knowingly (--allow-secret).
func scanSecrets(inv *Inventory, allowed []string) (*SecretScan, error) {
	rules, err := secrets.Default()
	if err != nil {
		return nil, err
	}
	scan := &SecretScan{Files: len(inv.Scan), Findings: []SecretFinding{}}
	for _, f := range inv.Scan {
		shown := f.Path
		if strings.HasPrefix(f.Path, appPath+"/") {
			shown = f.As
		}
		for _, found := range rules.Scan(f.As, []byte(f.Text)) {
			scan.Findings = append(scan.Findings, SecretFinding{File: shown, Line: found.Line, Rule: found.RuleID,
				Masked: found.Masked, Accepted: slices.Contains(allowed, shown)})
		}
	}
	sort.SliceStable(scan.Findings, func(i, j int) bool {
		a, b := scan.Findings[i], scan.Findings[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return scan, nil
}

// unaccepted counts the findings no --allow-secret accepts.
func (s *SecretScan) unaccepted() int {
	if s == nil {
		return 0
	}
	n := 0
	for _, f := range s.Findings {
		if !f.Accepted {
			n++
		}
	}
	return n
}

// secretsWord is the SECRETS column: none, how many fail the verdict, how many are accepted.
func secretsWord(s *SecretScan) string {
	if s == nil {
		return "-"
	}
	found, accepted := s.unaccepted(), len(s.Findings)-s.unaccepted()
	switch {
	case found > 0 && accepted > 0:
		return fmt.Sprintf("%d FOUND, %d accepted", found, accepted)
	case found > 0:
		return fmt.Sprintf("%d FOUND", found)
	case accepted > 0:
		return fmt.Sprintf("%d accepted", accepted)
	}
	return "none"
}

// secretLines are an image's detail lines for its findings.
func secretLines(s *SecretScan) []string {
	if s == nil {
		return nil
	}
	var lines []string
	for _, f := range s.Findings {
		how := "fails the verdict; --allow-secret " + f.File + " accepts it"
		if f.Accepted {
			how = "accepted by --allow-secret"
		}
		lines = append(lines, fmt.Sprintf("secret: %s:%d %s %s (%s)", f.File, f.Line, f.Rule, f.Masked, how))
	}
	return lines
}

// SecretProblems says, one line per secret not accepted, where it is and in which
// images: the verdict names them.
func (r *Report) SecretProblems() []string {
	type key struct {
		file, rule string
		line       int
	}
	var order []key
	where := map[key][]string{}
	for _, image := range r.Images {
		if image.Secrets == nil {
			continue
		}
		for _, f := range image.Secrets.Findings {
			if f.Accepted {
				continue
			}
			k := key{f.File, f.Rule, f.Line}
			if _, seen := where[k]; !seen {
				order = append(order, k)
			}
			if !slices.Contains(where[k], image.Variant) {
				where[k] = append(where[k], image.Variant)
			}
		}
	}
	var problems []string
	for _, k := range order {
		problems = append(problems, fmt.Sprintf("secret in %s:%d (%s) in %s, accept it with --allow-secret %s", k.file, k.line, k.rule, strings.Join(where[k], ", "), k.file))
	}
	return problems
}

// secretsClause says, in an OK verdict, that the scan found nothing, or that what it
// found was accepted ("" when no image was scanned).
func secretsClause(r *Report) string {
	scanned, accepted := false, map[string]bool{}
	for _, image := range r.Images {
		if image.Secrets != nil {
			scanned = true
			for _, f := range image.Secrets.Findings {
				accepted[fmt.Sprintf("%s:%d %s", f.File, f.Line, f.Rule)] = true
			}
		}
	}
	switch {
	case !scanned:
		return ""
	case len(accepted) == 1:
		return "the one secret found was accepted with --allow-secret"
	case len(accepted) > 1:
		return fmt.Sprintf("the %d secrets found were accepted with --allow-secret", len(accepted))
	}
	return "no secret was found"
}
