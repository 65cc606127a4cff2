package inventory

import (
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
	// Accepted: --allow-secrets named its file; it does not fail the verdict.
	Accepted bool `json:"accepted"`
}

// ScanSecrets reads the inventory's files with gitleaks' rules. allowed are the
// files the user accepts knowingly (--allow-secrets).
func ScanSecrets(inv *Inventory, allowed []string) (*SecretScan, error) {
	rules, err := secrets.Default()
	if err != nil {
		return nil, err
	}
	scan := &SecretScan{Files: len(inv.Scan), Findings: []SecretFinding{}}
	for _, f := range inv.Scan {
		shown := f.Path
		if inv.App != "" && strings.HasPrefix(f.Path, inv.App+"/") {
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

// Unaccepted counts the findings no --allow-secrets accepts.
func (s *SecretScan) Unaccepted() int {
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
