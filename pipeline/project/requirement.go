package project

import (
	"regexp"
	"sort"
	"strings"
)

var separators = regexp.MustCompile(`[-_.]+`)

// normalizeName is a package name as PEP 503 compares them: lower case, runs of
// -, _ and . as one -.
func normalizeName(name string) string {
	return separators.ReplaceAllString(strings.ToLower(strings.TrimSpace(name)), "-")
}

// dependencySpec is a PEP 508 requirement split into its parts.
type dependencySpec struct {
	Name      string
	Extras    []string
	Specifier string
	Marker    string
}

var requirementName = regexp.MustCompile(`^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$`)

// parseRequirement splits "name[extra] >=1,<2 ; marker" (PEP 508; URLs are kept
// whole as the specifier). A line it cannot read comes back with ok false.
func parseRequirement(s string) (dependencySpec, bool) {
	spec, marker, _ := strings.Cut(s, ";")
	m := requirementName.FindStringSubmatch(spec)
	if m == nil {
		return dependencySpec{}, false
	}
	d := dependencySpec{Name: normalizeName(m[1]), Marker: strings.TrimSpace(marker)}
	if m[2] != "" {
		for _, e := range strings.Split(strings.Trim(m[2], "[]"), ",") {
			if e = strings.TrimSpace(e); e != "" {
				d.Extras = append(d.Extras, normalizeName(e))
			}
		}
	}
	d.Specifier = normalizeSpecifier(strings.Trim(strings.TrimSpace(m[3]), "()"))
	return d, true
}

// normalizeSpecifier removes spaces and sorts the clauses, so that ">= 1, <2" and
// "<2,>=1" compare equal.
func normalizeSpecifier(s string) string {
	s = strings.ReplaceAll(s, " ", "")
	if s == "" || strings.HasPrefix(s, "@") {
		return s
	}
	parts := strings.Split(s, ",")
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// markerSet collects the markers under which a package is needed: it is needed
// everywhere once one path to it has no marker.
type markerSet struct {
	always  bool
	markers []string
}

// add records one more condition; it reports whether the set changed.
func (s *markerSet) add(marker string) bool {
	if s.always {
		return false
	}
	if marker == "" {
		s.always, s.markers = true, nil
		return true
	}
	for _, m := range s.markers {
		if m == marker {
			return false
		}
	}
	s.markers = append(s.markers, marker)
	return true
}

// String is the combined marker: empty when always needed, else the conditions or'ed.
func (s *markerSet) String() string {
	if s.always || len(s.markers) == 0 {
		return ""
	}
	if len(s.markers) == 1 {
		return s.markers[0]
	}
	parts := make([]string, len(s.markers))
	for i, m := range s.markers {
		parts[i] = "(" + m + ")"
	}
	return strings.Join(parts, " or ")
}

// andMarkers is the condition of a dependency reached under parent's condition.
func andMarkers(parent, edge string) string {
	switch {
	case parent == "":
		return edge
	case edge == "":
		return parent
	}
	return "(" + parent + ") and (" + edge + ")"
}

// reach walks a dependency graph from its roots and says, for each package reached,
// under which markers it is needed. edges gives a node's dependencies with the marker of
// each edge. The walk stops when no set changes (marker strings only grow in number
// up to a bound, so cycles end).
func reach(roots []edge, edges func(node string) []edge) map[string]*markerSet {
	needed := map[string]*markerSet{}
	type item struct {
		node, marker string
	}
	queue := []item{}
	for _, r := range roots {
		queue = append(queue, item{r.node, r.marker})
	}
	for steps := 0; len(queue) > 0 && steps < 100000; steps++ {
		it := queue[0]
		queue = queue[1:]
		set := needed[it.node]
		if set == nil {
			set = &markerSet{}
			needed[it.node] = set
		}
		if !set.add(it.marker) || len(set.markers) > 8 {
			continue
		}
		for _, e := range edges(it.node) {
			queue = append(queue, item{e.node, andMarkers(it.marker, e.marker)})
		}
	}
	return needed
}

// edge is one dependency: the node it leads to, under a marker.
type edge struct {
	node, marker string
}
