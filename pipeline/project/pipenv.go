package project

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// pipfileLock is what the plan reads of Pipfile.lock (JSON).
type pipfileLock struct {
	Meta struct {
		Requires struct {
			PythonVersion string `json:"python_version"`
		} `json:"requires"`
	} `json:"_meta"`
	Default map[string]pipfileEntry `json:"default"`
	Develop map[string]pipfileEntry `json:"develop"`
}

type pipfileEntry struct {
	Version  string   `json:"version"`
	Hashes   []string `json:"hashes"`
	Markers  string   `json:"markers"`
	Git      string   `json:"git"`
	Path     string   `json:"path"`
	File     string   `json:"file"`
	Editable bool     `json:"editable"`
}

// readPipfileLock pins the "default" section, which pipenv resolved with every
// dependency already listed; "develop" is left out.
func readPipfileLock(data []byte) (*Plan, error) {
	var lock pipfileLock
	if err := json.Unmarshal(data, &lock); err != nil {
		if serr, ok := err.(*json.SyntaxError); ok {
			return nil, fmt.Errorf("Pipfile.lock does not parse (line %d: %s): fix it, or make it again with `pipenv lock`", lineAt(data, serr.Offset), serr.Error())
		}
		return nil, fmt.Errorf("Pipfile.lock cannot be read (%v): fix it, or make it again with `pipenv lock`", err)
	}
	var pinned []Requirement
	for name, e := range lock.Default {
		version, exact := strings.CutPrefix(e.Version, "==")
		if !exact || e.Git != "" || e.Path != "" || e.File != "" {
			return nil, fmt.Errorf("Pipfile.lock installs %s from %s, not a pinned index package: only index packages can be pinned; publish it to an index or vendor it in the app", name, pipfileSource(e))
		}
		hashes := append([]string(nil), e.Hashes...)
		sort.Strings(hashes)
		pinned = append(pinned, Requirement{Name: normalizeName(name), Version: version, Hashes: hashes, Marker: e.Markers})
	}
	sort.Slice(pinned, func(i, j int) bool { return pinned[i].Name < pinned[j].Name })
	ignored := ""
	if len(lock.Develop) > 0 {
		ignored = fmt.Sprintf("; develop left out (%d packages)", len(lock.Develop))
	}
	plan := lockPlan(FormatPipenv, pinned, nil, false, ignored)
	plan.pipfilePython = lock.Meta.Requires.PythonVersion
	return plan, nil
}

func pipfileSource(e pipfileEntry) string {
	switch {
	case e.Git != "":
		return "git " + e.Git
	case e.Path != "":
		return "path " + e.Path
	case e.File != "":
		return "file " + e.File
	}
	return fmt.Sprintf("version %q", e.Version)
}

// lineAt is the 1-based line of a byte offset.
func lineAt(data []byte, offset int64) int {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	return strings.Count(string(data[:offset]), "\n") + 1
}
