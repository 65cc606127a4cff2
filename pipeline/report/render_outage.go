package report

import (
	"strings"

	"github.com/multistage/multistage/pipeline/recipe"
)

// outageClause is what the verdict adds for every base built from the record.
func outageClause(r *Report) string {
	var said []string
	for _, base := range r.Bases {
		if base.Fallback != "" {
			said = append(said, base.Fallback)
		}
	}
	if len(said) == 0 {
		return ""
	}
	return " (" + strings.Join(said, "; ") + ")"
}

// withOutageClause puts the bases' fallbacks inside the verdict's sentence.
func withOutageClause(r *Report, verdict string) string {
	clause := outageClause(r)
	if clause == "" {
		return verdict
	}
	return strings.TrimSuffix(verdict, ".") + clause + "."
}

// fallbackNote follows a base's line in the text and Markdown reports.
func fallbackNote(base recipe.BaseImage) string {
	if base.Fallback == "" {
		return ""
	}
	return " (registry unreachable: the digest resolved before)"
}
