package kit

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestAptMirror(t *testing.T) {
	debianSources := `Types: deb
# a comment
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
`
	for _, tc := range []struct {
		name  string
		files map[string]string // below etc/apt
		want  string            // "" for an error
	}{
		{"deb822 sources, as Debian 12 installs them", map[string]string{"sources.list.d/debian.sources": debianSources}, "http://mirror.example/debian"},
		{"a one-line sources.list comes first", map[string]string{
			"sources.list":                  "# deb cdrom:[Debian]/ bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] https://other.example/debian/ trixie main contrib\n",
			"sources.list.d/debian.sources": debianSources,
		}, "https://other.example/debian"},
		{"security and updates suites are skipped", map[string]string{"sources.list": "deb http://sec.example/debian-security bookworm-security main\n" +
			"deb http://upd.example/debian bookworm-updates main\ndeb http://main.example/debian bookworm main\n"}, "http://main.example/debian"},
		{"options with spaces", map[string]string{"sources.list": "deb [ arch=amd64 trusted=yes ] http://spaced.example/debian sid main\n"}, "http://spaced.example/debian"},
		{"another vendor's repository is not Debian's", map[string]string{
			"sources.list.d/cloud.list":   "deb https://vendor.example/apt cloud-sdk-bookworm main\n",
			"sources.list.d/node.sources": "Types: deb\nURIs: https://node.example/node_20.x\nSuites: nodistro\nComponents: main\n",
			"sources.list.d/zz.list":      "deb http://last.example/debian stable main\n",
		}, "http://last.example/debian"},
		{"a disabled stanza, a disabled file, a deb-src entry", map[string]string{
			"sources.list.d/a.sources":                   "Types: deb\nURIs: http://off.example/debian\nSuites: trixie\nEnabled: no\n",
			"sources.list.d/b.list.disabled-by-the-farm": "deb http://ignored.example/debian trixie main\n",
			"sources.list.d/c.list":                      "deb-src http://src.example/debian trixie main\n",
		}, "http://src.example/debian"},
		{"cdrom and file URIs are not mirrors", map[string]string{"sources.list": "deb cdrom:[Debian 13]/ trixie main\ndeb file:/srv/debian trixie main\n"}, ""},
		{"no apt configuration", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for path, content := range tc.files {
				writeFile(t, filepath.Join(root, "etc/apt", path), content)
			}
			got, err := aptMirror(root)
			if tc.want == "" {
				if err == nil || !strings.Contains(err.Error(), "pass --mirror URL") {
					t.Fatalf("got %q %v, want an error", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q %v, want %q", got, err, tc.want)
			}
		})
	}
}

func TestParseAptSources(t *testing.T) {
	got := parseAptSources("x.sources", "Types: deb deb-src\nURIs: http://a.example/debian http://b.example/debian\nSuites: trixie\n\n\nTYPES: deb\nuris: http://c.example/debian\nsuites: sid\n")
	if len(got) != 2 || strings.Join(got[0].Types, ",") != "deb,deb-src" || len(got[0].URIs) != 2 || got[1].URIs[0] != "http://c.example/debian" {
		t.Fatalf("got %+v", got)
	}
	got = parseAptSources("sources.list", "deb http://a.example/debian trixie main # the release\n  \nbroken line\ndeb [unterminated http://x trixie\n")
	if len(got) != 1 || got[0].Suites[0] != "trixie" {
		t.Fatalf("got %+v", got)
	}
}
