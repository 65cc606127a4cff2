package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/multistage/multistage/pipeline/inventory"
)

// secretsWord is the SECRETS column: none, how many fail the verdict, how many are accepted.
func secretsWord(s *inventory.SecretScan) string {
	if s == nil {
		return "-"
	}
	found, accepted := s.Unaccepted(), len(s.Findings)-s.Unaccepted()
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
func secretLines(s *inventory.SecretScan) []string {
	if s == nil {
		return nil
	}
	var lines []string
	for _, f := range s.Findings {
		how := "fails the verdict; --allow-secrets " + f.File + " accepts it"
		if f.Accepted {
			how = "accepted by --allow-secrets"
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
		problems = append(problems, fmt.Sprintf("secret in %s:%d (%s) in %s, accept it with --allow-secrets %s", k.file, k.line, k.rule, strings.Join(where[k], ", "), k.file))
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
		return "the one secret found was accepted with --allow-secrets"
	case len(accepted) > 1:
		return fmt.Sprintf("the %d secrets found were accepted with --allow-secrets", len(accepted))
	}
	return "no secret was found"
}
