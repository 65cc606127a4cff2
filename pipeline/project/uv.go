package project

import (
	"fmt"
	"sort"
	"strings"
)

// uvLock is what the plan reads of uv.lock (TOML).
type uvLock struct {
	Version        int         `toml:"version"`
	RequiresPython string      `toml:"requires-python"`
	Packages       []uvPackage `toml:"package"`
}

type uvPackage struct {
	Name                 string                    `toml:"name"`
	Version              string                    `toml:"version"`
	Source               map[string]any            `toml:"source"`
	Dependencies         []uvDependency            `toml:"dependencies"`
	OptionalDependencies map[string][]uvDependency `toml:"optional-dependencies"`
	DevDependencies      map[string][]uvDependency `toml:"dev-dependencies"`
	Sdist                *uvFile                   `toml:"sdist"`
	Wheels               []uvFile                  `toml:"wheels"`
	Metadata             struct {
		RequiresDist []uvRequirement `toml:"requires-dist"`
	} `toml:"metadata"`
}

type uvDependency struct {
	Name    string   `toml:"name"`
	Version string   `toml:"version"`
	Extra   []string `toml:"extra"`
	Marker  string   `toml:"marker"`
}

type uvFile struct {
	Hash string `toml:"hash"`
}

// uvRequirement is one of the project's requirements as uv recorded them when locking.
type uvRequirement struct {
	Name      string   `toml:"name"`
	Specifier string   `toml:"specifier"`
	Extras    []string `toml:"extras"`
	Marker    string   `toml:"marker"`
}

// readUVLock pins what the project's default dependencies need, following uv.lock's
// graph from the project's own package; the dev groups are left out.
func readUVLock(data []byte, pyproject *pyprojectFile) (*Plan, error) {
	var lock uvLock
	if err := decodeTOML(string(FormatUV), data, &lock); err != nil {
		return nil, err
	}
	if pyproject == nil || pyproject.Project == nil {
		return nil, fmt.Errorf("uv.lock is here but pyproject.toml has no [project] table: add the pyproject.toml the lock was made from")
	}
	root, err := uvRoot(lock, pyproject.name())
	if err != nil {
		return nil, err
	}
	if err := uvUpToDate(root, pyproject); err != nil {
		return nil, err
	}
	byName := map[string][]*uvPackage{}
	for i := range lock.Packages {
		p := &lock.Packages[i]
		byName[normalizeName(p.Name)] = append(byName[normalizeName(p.Name)], p)
	}
	// Nodes are "name version" and "name version[extra]"; an extra leads to the
	// package itself and to its optional dependencies.
	node := func(d uvDependency) (string, error) {
		candidates := byName[normalizeName(d.Name)]
		for _, c := range candidates {
			if d.Version == "" && len(candidates) == 1 || c.Version == d.Version {
				return normalizeName(c.Name) + " " + c.Version, nil
			}
		}
		return "", fmt.Errorf("uv.lock names %s %s as a dependency but does not lock it: make it again with `uv lock`", d.Name, d.Version)
	}
	packages := map[string]*uvPackage{}
	for i := range lock.Packages {
		p := &lock.Packages[i]
		packages[normalizeName(p.Name)+" "+p.Version] = p
	}
	var walkErr error
	edgesOf := func(deps []uvDependency) []edge {
		var out []edge
		for _, d := range deps {
			n, err := node(d)
			if err != nil {
				walkErr = err
				continue
			}
			out = append(out, edge{n, d.Marker})
			for _, extra := range d.Extra {
				out = append(out, edge{n + "[" + normalizeName(extra) + "]", d.Marker})
			}
		}
		return out
	}
	needed := reach(edgesOf(root.Dependencies), func(n string) []edge {
		base, extra, hasExtra := strings.Cut(n, "[")
		p := packages[base]
		if p == nil {
			return nil
		}
		if hasExtra {
			return edgesOf(p.OptionalDependencies[strings.TrimSuffix(extra, "]")])
		}
		return edgesOf(p.Dependencies)
	})
	if walkErr != nil {
		return nil, walkErr
	}
	var pinned []Requirement
	for n, markers := range needed {
		if strings.Contains(n, "[") {
			continue
		}
		p := packages[n]
		if p == nil || p == root {
			continue
		}
		if _, fromIndex := p.Source["registry"]; !fromIndex {
			return nil, fmt.Errorf("uv.lock installs %s from %s, not from an index: only index packages can be pinned; publish it to an index or vendor it in the app", p.Name, uvSourceText(p.Source))
		}
		pinned = append(pinned, Requirement{Name: normalizeName(p.Name), Version: p.Version, Hashes: uvHashes(p), Marker: markers.String()})
	}
	sort.Slice(pinned, func(i, j int) bool { return pinned[i].Name < pinned[j].Name })
	_, editable := root.Source["editable"]
	ignored := ""
	if len(root.DevDependencies) > 0 {
		ignored = "; dev groups left out (" + strings.Join(sortedKeys(root.DevDependencies), ", ") + ")"
	}
	return lockPlan(FormatUV, pinned, pyproject, editable && pyproject.isPackage(), ignored), nil
}

// uvRoot is the project's own package in the lock: the one from "." (virtual or editable).
func uvRoot(lock uvLock, name string) (*uvPackage, error) {
	var found []*uvPackage
	for i := range lock.Packages {
		p := &lock.Packages[i]
		if p.Source["virtual"] == "." || p.Source["editable"] == "." {
			found = append(found, p)
		}
	}
	for _, p := range found {
		if normalizeName(p.Name) == normalizeName(name) || len(found) == 1 {
			return p, nil
		}
	}
	return nil, fmt.Errorf("uv.lock has no package for the project %q itself (source \".\"): make it again with `uv lock` in the app directory", name)
}

// uvUpToDate compares the requirements uv recorded when locking with pyproject.toml's,
// as `uv lock --check` does.
func uvUpToDate(root *uvPackage, pyproject *pyprojectFile) error {
	recorded := map[string]bool{}
	for _, r := range root.Metadata.RequiresDist {
		recorded[requirementKey(dependencySpec{Name: normalizeName(r.Name), Extras: normalizeAll(r.Extras), Specifier: normalizeSpecifier(r.Specifier), Marker: r.Marker})] = true
	}
	var missing []string
	current := map[string]bool{}
	for _, line := range pyproject.Project.Dependencies {
		d, ok := parseRequirement(line)
		if !ok {
			return fmt.Errorf("pyproject.toml dependency %q is not a valid requirement: fix it (PEP 508)", line)
		}
		key := requirementKey(d)
		current[key] = true
		if !recorded[key] {
			missing = append(missing, strings.TrimSpace(line))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("uv.lock is out of date: pyproject.toml requires %s, which the lock was not made from: run `uv lock`", strings.Join(missing, ", "))
	}
	for key := range recorded {
		if !current[key] {
			return fmt.Errorf("uv.lock is out of date: it was made for %s, which pyproject.toml no longer requires: run `uv lock`", key)
		}
	}
	return nil
}

// requirementKey writes a requirement in one canonical spelling, for comparing.
func requirementKey(d dependencySpec) string {
	extras := append([]string(nil), d.Extras...)
	sort.Strings(extras)
	key := d.Name
	if len(extras) > 0 {
		key += "[" + strings.Join(extras, ",") + "]"
	}
	key += d.Specifier
	if m := strings.ReplaceAll(strings.ReplaceAll(d.Marker, " ", ""), `"`, "'"); m != "" {
		key += ";" + m
	}
	return key
}

func normalizeAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = normalizeName(n)
	}
	return out
}

func uvHashes(p *uvPackage) []string {
	var hashes []string
	if p.Sdist != nil && p.Sdist.Hash != "" {
		hashes = append(hashes, p.Sdist.Hash)
	}
	for _, w := range p.Wheels {
		if w.Hash != "" {
			hashes = append(hashes, w.Hash)
		}
	}
	sort.Strings(hashes)
	return hashes
}

func uvSourceText(source map[string]any) string {
	for _, k := range []string{"git", "path", "directory", "url", "editable", "virtual"} {
		if v, ok := source[k]; ok {
			return fmt.Sprintf("%s %v", k, v)
		}
	}
	return "an unknown source"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
