package project

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
)

// poetryLock is what the plan reads of poetry.lock (TOML).
type poetryLock struct {
	Packages []poetryPackage `toml:"package"`
	Metadata struct {
		LockVersion string                  `toml:"lock-version"`
		ContentHash string                  `toml:"content-hash"`
		Files       map[string][]poetryFile `toml:"files"` // lock-version 1.x kept hashes here
	} `toml:"metadata"`
}

type poetryPackage struct {
	Name         string              `toml:"name"`
	Version      string              `toml:"version"`
	Files        []poetryFile        `toml:"files"`
	Dependencies map[string]any      `toml:"dependencies"`
	Extras       map[string][]string `toml:"extras"`
	Source       *struct {
		Type string `toml:"type"`
		URL  string `toml:"url"`
	} `toml:"source"`
}

type poetryFile struct {
	File string `toml:"file"`
	Hash string `toml:"hash"`
}

// readPoetryLock pins what the project's main dependencies need, walking poetry.lock's
// graph from pyproject.toml's main dependencies: other groups (dev, test) are left out.
func readPoetryLock(data []byte, pyproject *pyprojectFile) (*Plan, error) {
	var lock poetryLock
	if err := decodeTOML(string(FormatPoetry), data, &lock); err != nil {
		return nil, err
	}
	if pyproject == nil || (pyproject.Tool.Poetry == nil && pyproject.Project == nil) {
		return nil, fmt.Errorf("poetry.lock is here but pyproject.toml has no [tool.poetry] or [project] table: add the pyproject.toml the lock was made from")
	}
	if want := poetryContentHash(pyproject.Raw); lock.Metadata.ContentHash != "" && lock.Metadata.ContentHash != want {
		return nil, fmt.Errorf("poetry.lock is out of date: pyproject.toml changed since the lock was made (content-hash differs): run `poetry lock`")
	}
	packages := map[string]*poetryPackage{}
	for i := range lock.Packages {
		packages[normalizeName(lock.Packages[i].Name)] = &lock.Packages[i]
	}
	needed := reach(poetryRoots(pyproject), func(n string) []edge {
		base, extra, hasExtra := strings.Cut(n, "[")
		p := packages[base]
		if p == nil {
			return nil
		}
		if hasExtra {
			return extraEdges(p.Extras[strings.TrimSuffix(extra, "]")])
		}
		return poetryEdges(p.Dependencies)
	})
	var pinned []Requirement
	for n, markers := range needed {
		if strings.Contains(n, "[") {
			continue
		}
		p := packages[n]
		if p == nil && markers.String() != "" {
			// Poetry leaves out what no Python the project allows can need
			// (importlib-metadata for python_version < "3.10" under python = "^3.11").
			continue
		}
		if p == nil {
			return nil, fmt.Errorf("poetry.lock does not lock %s, which the project needs: run `poetry lock`", n)
		}
		if p.Source != nil && p.Source.Type != "legacy" {
			return nil, fmt.Errorf("poetry.lock installs %s from a %s source (%s), not from an index: only index packages can be pinned; publish it to an index or vendor it in the app", p.Name, p.Source.Type, p.Source.URL)
		}
		files := p.Files
		if len(files) == 0 {
			files = lock.Metadata.Files[p.Name]
		}
		var hashes []string
		for _, f := range files {
			if f.Hash != "" {
				hashes = append(hashes, f.Hash)
			}
		}
		sort.Strings(hashes)
		pinned = append(pinned, Requirement{Name: n, Version: p.Version, Hashes: hashes, Marker: markers.String()})
	}
	sort.Slice(pinned, func(i, j int) bool { return pinned[i].Name < pinned[j].Name })
	return lockPlan(FormatPoetry, pinned, pyproject, pyproject.isPackage(), poetryIgnoredGroups(pyproject)), nil
}

// poetryRoots are the project's main dependencies: [tool.poetry.dependencies] (less
// python and optional ones) and, for poetry 2, [project] dependencies.
func poetryRoots(pyproject *pyprojectFile) []edge {
	var roots []edge
	if pyproject.Tool.Poetry != nil {
		deps := map[string]any{}
		for name, v := range pyproject.Tool.Poetry.Dependencies {
			if strings.ToLower(name) != "python" && !poetryOptional(v) {
				deps[name] = v
			}
		}
		roots = append(roots, poetryEdges(deps)...)
	}
	if pyproject.Project != nil {
		roots = append(roots, extraEdges(pyproject.Project.Dependencies)...)
	}
	return roots
}

// poetryEdges turns a [package.dependencies] table into edges: a constraint string,
// a table {version, markers, python, extras, optional}, or a list of such tables.
func poetryEdges(deps map[string]any) []edge {
	var out []edge
	for _, name := range sortedKeys(deps) {
		n := normalizeName(name)
		for _, spec := range poetryAlternatives(deps[name]) {
			if optional, _ := spec["optional"].(bool); optional {
				continue
			}
			marker, _ := spec["markers"].(string)
			if python, ok := spec["python"].(string); ok {
				marker = andMarkers(pythonMarker(poetryConstraint(python)), marker)
			}
			out = append(out, edge{n, marker})
			if extras, ok := spec["extras"].([]any); ok {
				for _, e := range extras {
					out = append(out, edge{n + "[" + normalizeName(fmt.Sprint(e)) + "]", marker})
				}
			}
		}
	}
	return out
}

// poetryAlternatives reads a dependency's value as a list of tables.
func poetryAlternatives(v any) []map[string]any {
	switch v := v.(type) {
	case string:
		return []map[string]any{{"version": v}}
	case map[string]any:
		return []map[string]any{v}
	case []map[string]any:
		return v
	case []any:
		var out []map[string]any
		for _, item := range v {
			if m, ok := item.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

func poetryOptional(v any) bool {
	m, ok := v.(map[string]any)
	optional, _ := m["optional"].(bool)
	return ok && optional
}

// extraEdges reads PEP 508 lines (an extra's requirements, or [project] dependencies).
func extraEdges(lines []string) []edge {
	var out []edge
	for _, line := range lines {
		d, ok := parseRequirement(line)
		if !ok {
			continue
		}
		out = append(out, edge{d.Name, d.Marker})
		for _, e := range d.Extras {
			out = append(out, edge{d.Name + "[" + e + "]", d.Marker})
		}
	}
	return out
}

func poetryIgnoredGroups(pyproject *pyprojectFile) string {
	groups, _ := pyproject.Raw["tool"].(map[string]any)["poetry"].(map[string]any)["group"].(map[string]any)
	if len(groups) == 0 {
		return ""
	}
	return "; groups left out (" + strings.Join(sortedKeys(groups), ", ") + ")"
}

// Poetry's content hash covers these parts of pyproject.toml (poetry-core's
// _get_content_hash): the legacy keys are written even when absent, as null.
var (
	poetryLegacyKeys    = []string{"dependencies", "source", "extras", "dev-dependencies"}
	poetryRelevantKeys  = append(append([]string{}, poetryLegacyKeys...), "group")
	projectRelevantKeys = []string{"requires-python", "dependencies", "optional-dependencies"}
)

// poetryContentHash is the content-hash poetry writes into poetry.lock: the sha256 of
// Python's json.dumps(relevant, sort_keys=True) of the relevant pyproject sections.
func poetryContentHash(doc map[string]any) string {
	project, _ := doc["project"].(map[string]any)
	tool, _ := doc["tool"].(map[string]any)
	poetry, _ := tool["poetry"].(map[string]any)
	groups, _ := doc["dependency-groups"].(map[string]any)

	relevantProject := map[string]any{}
	for _, k := range projectRelevantKeys {
		if v, ok := project[k]; ok {
			relevantProject[k] = v
		}
	}
	relevantPoetry := map[string]any{}
	for _, k := range poetryRelevantKeys {
		v, ok := poetry[k]
		legacy := k != "group"
		if !ok && (!legacy || len(relevantProject) > 0) {
			continue
		}
		relevantPoetry[k] = v
	}
	var relevant any = relevantPoetry
	if len(relevantProject) > 0 {
		content := map[string]any{"project": relevantProject, "tool": map[string]any{"poetry": relevantPoetry}}
		if len(groups) > 0 {
			content["dependency-groups"] = groups
		}
		relevant = content
	}
	sum := sha256.Sum256([]byte(pythonJSON(relevant)))
	return hex.EncodeToString(sum[:])
}
