package recipe

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/multistage/multistage/pipeline/failure"
)

// ExcludeRule is one group of the default exclusions: what an app directory without a
// .dockerignore leaves out, and why. The README's table is made from the same groups.
type ExcludeRule struct {
	Group    string
	Patterns []string
	// Secret: what the group leaves out may hold credentials, and the report names
	// each such file it left out.
	Secret bool
	Why    string
}

// DefaultExcludeRules are docker init's .dockerignore (its Python template) and a few
// more, in Docker's syntax. Two of docker init's lines are not taken: **/bin and
// **/obj (.NET build output there, source directories in a Python app), and neither
// are LICENSE and README.md (a pyproject.toml names them as the package's readme and
// license files: building the project needs them).
var DefaultExcludeRules = []ExcludeRule{
	{"environment files", []string{"**/.env", "**/.env.*"}, true,
		"docker init's **/.env, and its variants (.env.local, .env.production); a template (.env.example, .sample, .template, .dist) stays when it holds no values"},
	{"private keys", []string{"**/*.key", "**/id_rsa", "**/id_dsa", "**/id_ecdsa", "**/id_ed25519", "**/*.p12", "**/*.pfx"}, true,
		"by name; a .pem file goes when it holds a PRIVATE KEY block (a certificate alone stays)"},
	{"deployment secrets", []string{"**/secrets.*.yaml", "**/secrets.*.yml", "**/values.dev.yaml"}, true,
		"docker init's secrets.dev.yaml and values.dev.yaml, for every stage (secrets.prod.yaml)"},
	{"container build files", []string{"**/Dockerfile*", "**/.dockerignore", "**/docker-compose*", "**/compose.y*ml", "**/charts"}, false,
		"docker init's: how images are built and run is not part of the image"},
	{"version control", []string{"**/.git", "**/.gitignore"}, false, "history and its settings"},
	{"virtualenvs and caches", []string{"**/.venv", "**/__pycache__", "**/*.pyc", "**/.pytest_cache", "**/.mypy_cache", "**/.tox", "**/node_modules", "**/npm-debug.log"}, false,
		"a developer's own: the image installs its own; a directory holding pyvenv.cfg goes too, whatever its name"},
	{"editor and OS files", []string{"**/.DS_Store", "**/Thumbs.db", "**/.idea", "**/.vscode", "**/.vs", "**/*.swp", "**/.classpath", "**/.project", "**/.settings", "**/.toolstarget", "**/*.*proj.user", "**/*.dbmdl", "**/*.jfm"}, false,
		"docker init's, and JetBrains' .idea, Vim's swap files, Windows' Thumbs.db"},
}

// DefaultExcludes are the patterns of every default rule, in order.
var DefaultExcludes = func() []string {
	var all []string
	for _, rule := range DefaultExcludeRules {
		all = append(all, rule.Patterns...)
	}
	return all
}()

// secretMatcher says whether a left-out path is one the secret rules left out.
var secretMatcher = func() *patternmatcher.PatternMatcher {
	var patterns []string
	for _, rule := range DefaultExcludeRules {
		if rule.Secret {
			patterns = append(patterns, rule.Patterns...)
		}
	}
	patterns = append(patterns, "**/*.pem")
	m, err := patternmatcher.New(patterns)
	if err != nil {
		panic(err)
	}
	return m
}()

// envTemplate is the name of an environment file meant to be copied and filled in.
var envTemplate = regexp.MustCompile(`(^|\.)(example|sample|template|dist|defaults?)$`)

// envAssignment is a line of a .env file that gives a value: NAME=VALUE, VALUE not
// empty, not a placeholder (<...>, ${...}, "").
var envAssignment = regexp.MustCompile(`^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.]*\s*[=:]\s*(.*?)\s*$`)

// holdsValues says whether an environment file assigns a value to any name.
func holdsValues(text string) bool {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		m := envAssignment.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		value := strings.Trim(m[1], `"'`)
		if value == "" || strings.HasPrefix(value, "#") || (strings.HasPrefix(value, "<") && strings.HasSuffix(value, ">")) ||
			(strings.HasPrefix(value, "${") && strings.HasSuffix(value, "}")) {
			continue
		}
		return true
	}
	return false
}

// holdsPrivateKey says whether a PEM file carries a private key.
func holdsPrivateKey(text string) bool {
	return regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----`).MatchString(text)
}

// escapePattern makes a path a pattern that matches only itself.
func escapePattern(r string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`).Replace(r)
}

// contentExcludes are the default exclusions decided by a file's content: a .pem
// holding a private key goes; an .env template holding no values stays (as an
// exception after **/.env.*). Files under venvs (the directories holding pyvenv.cfg)
// are not read: they go anyway.
func (r *Recipes) contentExcludes(ctx context.Context, venvs []string) ([]string, error) {
	var candidates []string
	for _, pattern := range []string{"**/.env.*", "**/*.pem"} {
		found, err := r.opts.App.Glob(ctx, pattern)
		if err != nil {
			return nil, fmt.Errorf("app directory cannot be read (%s)", failure.Line(err))
		}
		candidates = append(candidates, found...)
	}
	var keep, drop []string
	for _, name := range candidates {
		base := path.Base(name)
		isTemplate := strings.HasPrefix(base, ".env.") && envTemplate.MatchString(strings.TrimPrefix(base, ".env"))
		isPEM := strings.HasSuffix(base, ".pem")
		inVenv := slices.ContainsFunc(venvs, func(v string) bool { return strings.HasPrefix(name, v+"/") })
		if strings.HasSuffix(name, "/") || (!isTemplate && !isPEM) || inVenv || defaultVenvOrVCS(name) {
			continue
		}
		text, err := r.opts.App.File(name).Contents(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s cannot be read (%s)", name, failure.Line(err))
		}
		switch {
		case isTemplate && !holdsValues(text):
			keep = append(keep, "!"+escapePattern(name))
		case isPEM && holdsPrivateKey(text):
			drop = append(drop, escapePattern(name))
		}
	}
	return append(drop, keep...), nil
}

// defaultVenvOrVCS says whether a path lies where the defaults leave everything out
// anyway (.git, .venv, node_modules), so its content need not be read.
func defaultVenvOrVCS(name string) bool {
	for _, part := range strings.Split(name, "/") {
		if slices.Contains([]string{".git", ".venv", "node_modules", ".tox"}, part) {
			return true
		}
	}
	return false
}

// withheldSecrets are the left-out files that the secret rules (or a .pem's private
// key) left out: the report names them.
func withheldSecrets(given, sent []string) []string {
	kept := map[string]bool{}
	for _, name := range sent {
		kept[name] = true
	}
	var withheld []string
	for _, name := range given {
		if kept[name] || strings.HasSuffix(name, "/") {
			continue
		}
		if ok, _ := secretMatcher.MatchesOrParentMatches(name); ok && !defaultVenvOrVCS(name) {
			withheld = append(withheld, name)
		}
	}
	slices.Sort(withheld)
	return withheld
}
