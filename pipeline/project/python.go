package project

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var majorMinor = regexp.MustCompile(`(\d+)\.(\d+)`)

// choosePython picks the Python version: --python-version, else .python-version
// (major.minor taken), else the version Pipfile.lock requires, else the default. A
// requires-python that excludes it is refused before anything is built.
func (p *Plan) choosePython(in Input, pyproject *pyprojectFile) error {
	switch {
	case in.PythonVersion != "":
		p.PythonVersion, p.PythonSource = in.PythonVersion, "--python-version"
	case in.Files.Has(".python-version"):
		m := majorMinor.FindStringSubmatch(firstLine(string(in.Files[".python-version"])))
		if m == nil {
			return fmt.Errorf(".python-version says %q, which names no Python version: write major.minor, for example %s", firstLine(string(in.Files[".python-version"])), in.DefaultPythonVersion)
		}
		p.PythonVersion, p.PythonSource = m[1]+"."+m[2], ".python-version"
	case p.pipfilePython != "":
		m := majorMinor.FindStringSubmatch(p.pipfilePython)
		if m == nil {
			return fmt.Errorf("Pipfile.lock requires python_version %q, which names no Python version: write major.minor in the Pipfile and run `pipenv lock`", p.pipfilePython)
		}
		p.PythonVersion, p.PythonSource = m[1]+"."+m[2], "Pipfile.lock python_version"
	default:
		p.PythonVersion, p.PythonSource = in.DefaultPythonVersion, "default"
	}
	spec, from := pyproject.requiresPython()
	if spec == "" {
		return nil
	}
	allowed, err := allowsMinor(spec, p.PythonVersion)
	if err != nil {
		return fmt.Errorf("%s %q cannot be read (%v): fix it (PEP 440)", from, spec, err)
	}
	if !allowed {
		return fmt.Errorf("%s %q excludes Python %s (from %s): pass --python-version with a version it allows, or change it", from, spec, p.PythonVersion, p.PythonSource)
	}
	return nil
}

func firstLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			return line
		}
	}
	return ""
}

// allowsMinor says whether a PEP 440 specifier set admits some release of major.minor.
func allowsMinor(spec, minor string) (bool, error) {
	clauses, err := parseSpecifier(spec)
	if err != nil {
		return false, err
	}
	for patch := 0; patch <= 30; patch++ {
		v := parseRelease(fmt.Sprintf("%s.%d", minor, patch))
		ok := true
		for _, c := range clauses {
			if !c.allows(v) {
				ok = false
				break
			}
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

type clause struct {
	op       string
	version  []int
	wildcard bool
}

var clausePattern = regexp.MustCompile(`^(~=|===|==|!=|<=|>=|<|>)\s*v?([0-9]+(?:\.[0-9]+)*)(\.\*)?[A-Za-z0-9.+-]*$`)

func parseSpecifier(spec string) ([]clause, error) {
	var clauses []clause
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		m := clausePattern.FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Errorf("%q is not a version clause", part)
		}
		clauses = append(clauses, clause{op: m[1], version: parseRelease(m[2]), wildcard: m[3] != ""})
	}
	return clauses, nil
}

func parseRelease(s string) []int {
	var out []int
	for _, p := range strings.Split(s, ".") {
		n, _ := strconv.Atoi(p)
		out = append(out, n)
	}
	return out
}

// compareRelease compares release numbers, the shorter padded with zeros.
func compareRelease(a, b []int) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func hasPrefix(v, prefix []int) bool {
	for i, n := range prefix {
		if i >= len(v) && n != 0 || i < len(v) && v[i] != n {
			return false
		}
	}
	return true
}

func (c clause) allows(v []int) bool {
	cmp := compareRelease(v, c.version)
	switch c.op {
	case "==", "===":
		if c.wildcard {
			return hasPrefix(v, c.version)
		}
		return cmp == 0
	case "!=":
		if c.wildcard {
			return !hasPrefix(v, c.version)
		}
		return cmp != 0
	case "<=":
		return cmp <= 0
	case ">=":
		return cmp >= 0
	case "<":
		return cmp < 0
	case ">":
		return cmp > 0
	case "~=":
		// ~=X.Y means >=X.Y, ==X.*; ~=X.Y.Z means >=X.Y.Z, ==X.Y.*.
		return cmp >= 0 && len(c.version) > 1 && hasPrefix(v, c.version[:len(c.version)-1])
	}
	return false
}

// poetryConstraint turns poetry's constraint syntax (^3.11, ~3.11, 3.11.*, ">=3.8 <4")
// into a PEP 440 specifier; "" when it cannot (an "or" of ranges): nothing is checked then.
func poetryConstraint(s string) string {
	s = strings.TrimSpace(s)
	if s == "*" || s == "" || strings.Contains(s, "||") || strings.Contains(s, "|") {
		return ""
	}
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		switch {
		case strings.HasPrefix(part, "^"):
			v := parseRelease(strings.TrimPrefix(part, "^"))
			upper := caretUpper(v)
			out = append(out, ">="+joinRelease(v), "<"+joinRelease(upper))
		case strings.HasPrefix(part, "~") && !strings.HasPrefix(part, "~="):
			v := parseRelease(strings.TrimPrefix(part, "~"))
			upper := []int{v[0] + 1}
			if len(v) > 1 {
				upper = []int{v[0], v[1] + 1}
			}
			out = append(out, ">="+joinRelease(v), "<"+joinRelease(upper))
		case strings.ContainsAny(part[:1], "<>=!~"):
			out = append(out, part)
		case strings.HasSuffix(part, ".*"):
			out = append(out, "=="+part)
		default:
			out = append(out, "=="+part)
		}
	}
	return strings.Join(out, ",")
}

// caretUpper is the exclusive upper bound of ^v: the first non-zero part raised.
func caretUpper(v []int) []int {
	for i, n := range v {
		if n != 0 || i == len(v)-1 {
			upper := append([]int(nil), v[:i]...)
			return append(upper, n+1)
		}
	}
	return []int{1}
}

func joinRelease(v []int) string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ".")
}

// pythonMarker turns a specifier on Python into a PEP 508 marker.
func pythonMarker(spec string) string {
	if spec == "" {
		return ""
	}
	var parts []string
	for _, c := range strings.Split(spec, ",") {
		m := regexp.MustCompile(`^(~=|===|==|!=|<=|>=|<|>)\s*(.+)$`).FindStringSubmatch(strings.TrimSpace(c))
		if m != nil {
			parts = append(parts, fmt.Sprintf(`python_full_version %s "%s"`, m[1], m[2]))
		}
	}
	return strings.Join(parts, " and ")
}
