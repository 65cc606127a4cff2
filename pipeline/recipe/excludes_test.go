package recipe

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/patternmatcher"
)

// TestDefaultExclusionsCoverDockerInit: every line of docker init's Python
// .dockerignore is matched by the defaults, but for the four left out on purpose.
func TestDefaultExclusionsCoverDockerInit(t *testing.T) {
	m, err := patternmatcher.New(DefaultExcludes)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path     string
		excluded bool
	}{
		// docker init's template, one path per line of it.
		{".DS_Store", true}, {"pkg/__pycache__/x.pyc", true}, {".venv/bin/python", true}, {".classpath", true},
		{".dockerignore", true}, {".env", true}, {"sub/.env", true}, {".git/HEAD", true}, {".gitignore", true},
		{".project", true}, {".settings/x", true}, {".toolstarget", true}, {".vs/x", true}, {".vscode/settings.json", true},
		{"a.csproj.user", true}, {"x.dbmdl", true}, {"x.jfm", true}, {"charts/app/values.yaml", true},
		{"docker-compose.yml", true}, {"docker-compose.override.yaml", true}, {"compose.yaml", true}, {"compose.yml", true},
		{"Dockerfile", true}, {"Dockerfile.dev", true}, {"node_modules/x/index.js", true}, {"npm-debug.log", true},
		{"secrets.dev.yaml", true}, {"values.dev.yaml", true},
		// Beyond it.
		{".env.local", true}, {"config/.env.production", true}, {"secrets.prod.yaml", true}, {"secrets.prod.yml", true},
		{"certs/server.key", true}, {".ssh/id_rsa", true}, {"id_ed25519", true}, {"client.p12", true}, {".idea/workspace.xml", true},
		{"app.py.swp", true}, {"Thumbs.db", true},
		// Not left out: docker init's .NET lines, and what a Python project builds from.
		{"bin/start.sh", false}, {"obj/model.py", false}, {"README.md", false}, {"LICENSE", false},
		{"app.py", false}, {"settings.py", false}, {"certs/ca.pem", false}, {".ssh/id_rsa.pub", false}, {"environment.py", false},
	}
	for _, c := range cases {
		if got, _ := m.MatchesOrParentMatches(c.path); got != c.excluded {
			t.Errorf("%s: excluded=%t, want %t", c.path, got, c.excluded)
		}
	}
}

func TestEnvTemplatesStayUnlessTheyHoldValues(t *testing.T) {
	cases := []struct {
		text string
		want bool
	}{
		{"SECRET_KEY=\nDATABASE_URL=\n", false},
		{"# copy to .env and fill in\nSECRET_KEY=\"\"\nAPI_TOKEN=<your token>\nHOME_URL=${BASE}\n", false},
		{"export SECRET_KEY=\n", false},
		{"SECRET_KEY=s3cr3t\n", true},
		{"DATABASE_URL=postgres://admin:hunter2@db/shop\n", true},
		{"  export DEBUG = 1\n", true},
		{"", false},
	}
	for _, c := range cases {
		if got := holdsValues(c.text); got != c.want {
			t.Errorf("holdsValues(%q) = %t, want %t", c.text, got, c.want)
		}
	}
	for _, name := range []string{".example", ".sample", ".template", ".dist", ".defaults", ".local.example"} {
		if !envTemplate.MatchString(name) {
			t.Errorf(".env%s is not taken for a template", name)
		}
	}
	for _, name := range []string{".local", ".production", ".examples.prod"} {
		if envTemplate.MatchString(name) {
			t.Errorf(".env%s is taken for a template", name)
		}
	}
}

func TestAPemGoesWhenItHoldsAPrivateKey(t *testing.T) {
	if !holdsPrivateKey("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n") ||
		!holdsPrivateKey("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMII\n") ||
		!holdsPrivateKey("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blb\n") {
		t.Error("a private key was not found")
	}
	if holdsPrivateKey("-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n") {
		t.Error("a certificate alone was taken for a private key")
	}
}

func TestWithheldSecretsAreNamed(t *testing.T) {
	given := []string{"app.py", ".env", ".env.example", "certs/", "certs/server.key", "certs/ca.pem", "certs/privkey.pem",
		".git/HEAD", "env/lib/x.key", ".venv/lib/site-packages/certifi/cacert.pem", "Dockerfile", "secrets.prod.yaml"}
	sent := []string{"app.py", ".env.example", "certs/", "certs/ca.pem", "env/lib/x.key"}
	got := withheldSecrets(given, sent)
	want := []string{".env", "certs/privkey.pem", "certs/server.key", "secrets.prod.yaml"}
	if !slices.Equal(got, want) {
		t.Errorf("withheld %v, want %v", got, want)
	}
}

// TestTheREADMEsTableIsTheDefaults: the README's table of default exclusions has a row
// per group, with that group's patterns, no more and no fewer.
func TestTheREADMEsTableIsTheDefaults(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "docs", "projects.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(readme), "\n") {
		if cells := strings.Split(line, " | "); len(cells) == 3 && strings.HasPrefix(line, "| ") {
			rows[strings.TrimPrefix(cells[0], "| ")] = cells[1]
		}
	}
	for _, rule := range DefaultExcludeRules {
		var want []string
		for _, p := range rule.Patterns {
			want = append(want, "`"+p+"`")
		}
		if got, ok := rows[rule.Group]; !ok || got != strings.Join(want, " ") {
			t.Errorf("README's row %q: %q, want %q", rule.Group, got, strings.Join(want, " "))
		}
	}
}
