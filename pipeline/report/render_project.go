package report

import (
	"fmt"
	"strings"
)

// projectLines say what the plan decided and what the app directory left out: the
// "project", "start" and "sent" lines of every format.
func (r *Report) projectLines() []string {
	var lines []string
	if p := r.Project; p != nil {
		what := fmt.Sprintf("%d requirements", p.Packages)
		if len(p.Pinned) > 0 {
			what = fmt.Sprintf("%d packages pinned", p.Packages)
			if p.Hashed {
				what += ", hashes checked"
			}
		}
		if p.InstallProject {
			what += ", then the project " + p.ProjectName + " itself"
		}
		lines = append(lines,
			fmt.Sprintf("project: %s (%s): %s", p.DecidedBy, what, p.Reason),
			fmt.Sprintf("python:  %s, from %s", p.PythonVersion, p.PythonSource),
			fmt.Sprintf("start:   %s (%s), PORT=%d", strings.Join(p.Command, " "), p.CommandReason, p.Port))
	}
	if s := r.AppSource; s != nil {
		switch {
		case s.Rule == "none":
			lines = append(lines, "sent:    the whole app directory (--include-all, no .dockerignore)")
		case s.LeftOutFiles == 0:
			lines = append(lines, "sent:    the whole app directory (nothing matched "+ruleText(s.Rule)+")")
		default:
			lines = append(lines, fmt.Sprintf("sent:    the app directory less %d files (%s) left out by %s", s.LeftOutFiles, FormatBytes(s.LeftOutBytes), ruleText(s.Rule)))
		}
		if len(s.Withheld) > 0 {
			lines = append(lines, "         left out as possible secrets: "+strings.Join(s.Withheld, ", ")+" (a .dockerignore replaces the defaults; --include-all turns them off)")
		}
	}
	return lines
}

func ruleText(rule string) string {
	if rule == "defaults" {
		return "the default exclusions (docker init's and more: .env, keys, .git, .venv, caches; no .dockerignore)"
	}
	return rule
}

// reproducibleText says what a second build showed, in one line.
func reproducibleText(r Reproducibility) string {
	switch {
	case r.Reproducible:
		return "yes (built again with every step run anew: the same layers, byte for byte)"
	case r.Error != "":
		return "unknown (" + r.Error + ")"
	case r.Path != "" && len(r.Also) > 0:
		return fmt.Sprintf("NO: layer %d differs first; %s differs (%s), and %s", r.Layer, r.Path, r.Difference, strings.Join(r.Also, ", "))
	case r.Path != "":
		return fmt.Sprintf("NO: layer %d differs first; %s differs (%s)", r.Layer, r.Path, r.Difference)
	}
	return fmt.Sprintf("NO: layer %d differs first", r.Layer)
}
