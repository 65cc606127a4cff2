package kit

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// aptSource is one entry of apt's sources: a line of a .list file, or a stanza of a
// .sources file (deb822), which may name several URIs and suites.
type aptSource struct {
	Types, URIs, Suites []string
}

// debianSuites are the names of Debian's release suites, as apt's sources name them;
// a suffixed suite (bookworm-updates, trixie-security, trixie-backports) or another
// vendor's suite (an Ubuntu release, a third-party repository's own) is not one.
var debianSuites = map[string]bool{
	"stable": true, "testing": true, "unstable": true, "oldstable": true, "oldoldstable": true,
	"experimental": true, "sid": true,
	"jessie": true, "stretch": true, "buster": true, "bullseye": true, "bookworm": true,
	"trixie": true, "forky": true, "duke": true,
}

// aptSourceFiles are the files apt reads its sources from, below root, in apt's order:
// sources.list, then sources.list.d's *.list and *.sources by name (other names, such
// as *.disabled, apt ignores).
func aptSourceFiles(root string) []string {
	files := []string{filepath.Join(root, "etc/apt/sources.list")}
	var parts []string
	for _, pattern := range []string{"*.list", "*.sources"} {
		matches, _ := filepath.Glob(filepath.Join(root, "etc/apt/sources.list.d", pattern))
		parts = append(parts, matches...)
	}
	sort.Strings(parts)
	return append(files, parts...)
}

// aptMirror is the first Debian archive URI of the apt configuration below root ("/"
// for this machine's): an http(s) URI of an enabled deb or deb-src entry with a Debian
// release suite (security and updates suites are skipped: they carry no source index
// of the release).
func aptMirror(root string) (string, error) {
	for _, file := range aptSourceFiles(root) {
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		for _, src := range parseAptSources(file, string(data)) {
			if mirror := src.debianMirror(); mirror != "" {
				return mirror, nil
			}
		}
	}
	return "", fmt.Errorf("no Debian archive in this machine's apt sources: pass --mirror URL (a Debian mirror)")
}

// debianMirror is the entry's first http(s) URI if it is a Debian archive entry.
func (s aptSource) debianMirror() string {
	typed := false
	for _, t := range s.Types {
		typed = typed || t == "deb" || t == "deb-src"
	}
	release := false
	for _, suite := range s.Suites {
		release = release || debianSuites[strings.TrimSuffix(suite, "/")]
	}
	if !typed || !release {
		return ""
	}
	for _, uri := range s.URIs {
		if u, err := url.Parse(uri); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			return strings.TrimRight(uri, "/")
		}
	}
	return ""
}

// parseAptSources reads a sources file: deb822 stanzas if its name ends in .sources,
// one-line entries otherwise.
func parseAptSources(name, data string) []aptSource {
	if strings.HasSuffix(name, ".sources") {
		return parseDeb822Sources(data)
	}
	return parseOneLineSources(data)
}

// parseOneLineSources reads "deb [options] URI suite [component...]" lines.
func parseOneLineSources(data string) []aptSource {
	var out []aptSource
	for _, line := range strings.Split(data, "\n") {
		line, _, _ = strings.Cut(line, "#")
		fields := strings.Fields(line)
		if len(fields) < 3 {
			continue
		}
		rest := fields[1:]
		if strings.HasPrefix(rest[0], "[") { // options, which may hold spaces: [ arch=amd64 signed-by=... ]
			end := 0
			for end < len(rest) && !strings.HasSuffix(rest[end], "]") {
				end++
			}
			if end == len(rest) {
				continue
			}
			rest = rest[end+1:]
		}
		if len(rest) < 2 {
			continue
		}
		out = append(out, aptSource{Types: []string{fields[0]}, URIs: []string{rest[0]}, Suites: []string{rest[1]}})
	}
	return out
}

// parseDeb822Sources reads stanzas of Types, URIs and Suites; "Enabled: no" drops one.
func parseDeb822Sources(data string) []aptSource {
	var out []aptSource
	for _, stanza := range deb822Stanzas(data) {
		if strings.EqualFold(stanza["enabled"], "no") {
			continue
		}
		out = append(out, aptSource{
			Types:  strings.Fields(stanza["types"]),
			URIs:   strings.Fields(stanza["uris"]),
			Suites: strings.Fields(stanza["suites"]),
		})
	}
	return out
}

// deb822Stanzas splits deb822 text (apt's .sources) into stanzas; see readDeb822.
func deb822Stanzas(data string) []map[string]string {
	var out []map[string]string
	readDeb822(strings.NewReader(data), nil, func(stanza map[string]string) { out = append(out, stanza) })
	return out
}

// readDeb822 calls fn with each stanza of deb822 text (apt's .sources, Debian's index
// files): its fields by name, lowercased (deb822 names are case-insensitive), with
// continuation lines joined to their field by "\n"; comment lines are dropped. keep,
// if not nil, first sees a stanza's raw lines and says whether to parse it at all (a
// source index has tens of thousands of stanzas, and few are wanted).
func readDeb822(r io.Reader, keep func(lines []string) bool, fn func(map[string]string)) error {
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	var lines []string
	flush := func() {
		if len(lines) > 0 && (keep == nil || keep(lines)) {
			if stanza := parseStanza(lines); len(stanza) > 0 {
				fn(stanza)
			}
		}
		lines = lines[:0]
	}
	for scanner.Scan() {
		line := strings.TrimRight(scanner.Text(), "\r")
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case strings.HasPrefix(line, "#"):
		default:
			lines = append(lines, line)
		}
	}
	flush()
	return scanner.Err()
}

func parseStanza(lines []string) map[string]string {
	stanza := map[string]string{}
	last := ""
	for _, line := range lines {
		if line[0] == ' ' || line[0] == '\t' {
			if last != "" {
				stanza[last] += "\n" + strings.TrimSpace(line)
			}
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		last = strings.ToLower(strings.TrimSpace(name))
		stanza[last] = strings.TrimSpace(value)
	}
	return stanza
}
