package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/multistage/multistage/pipeline/recipe"
)

// The README and the pages under docs/ name commands, flags and each other. These tests
// hold them to what exists, with no engine: every relative link resolves, every command
// line names a CLI command and flags it has (kong's model) or a module function and
// arguments it has (the module's Go source), every --flag in the text is ours or a named
// tool's, and the README's --help lines run as written.

// docPages are the user's pages, as paths from the repository root.
func docPages(t *testing.T) []string {
	t.Helper()
	pages, _ := filepath.Glob("../docs/*.md")
	pages = append([]string{"../README.md", "../CHANGELOG.md"}, pages...)
	for _, p := range pages {
		if _, err := os.Stat(p); err != nil {
			t.Fatal(err)
		}
	}
	return pages
}

func readPage(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

var (
	mdLink     = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	mdHeading  = regexp.MustCompile(`(?m)^#{1,6} (.+)$`)
	inlineCode = regexp.MustCompile("`([^`]+)`")
	flagName   = regexp.MustCompile("(?:^|[\\s\\[(|/=,`])(--(?:\\[no-\\])?[a-z][a-z0-9-]*)")
	comment    = regexp.MustCompile(`\s+#\s.*$`)
)

// anchor is GitHub's id for a heading: lower case, letters, digits, spaces, - and _
// kept, spaces made -.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestReadmeAndDocsLinksResolve(t *testing.T) {
	for _, page := range docPages(t) {
		for _, m := range mdLink.FindAllStringSubmatch(readPage(t, page), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, frag, _ := strings.Cut(target, "#")
			path := page
			if file != "" {
				path = filepath.Join(filepath.Dir(page), file)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s links to %s: no such file", page, target)
				continue
			}
			if frag == "" || !strings.HasSuffix(path, ".md") {
				continue
			}
			var ids []string
			for _, h := range mdHeading.FindAllStringSubmatch(readPage(t, path), -1) {
				ids = append(ids, anchor(h[1]))
			}
			if !slices.Contains(ids, frag) {
				t.Errorf("%s links to %s: %s has no heading #%s (it has %v)", page, target, path, frag, ids)
			}
		}
	}
}

// repoPath is a path of this repository written in code, as the pages name source files.
var repoPath = regexp.MustCompile("`((?:pipeline|ci|internal|sample-app|testdata|docs)/[A-Za-z0-9_./-]*)`")

// TestReadmeAndDocsNameFilesThatExist: a page that points a reader at a source file
// (`pipeline/recipe/excludes.go`) points at one the repository has.
func TestReadmeAndDocsNameFilesThatExist(t *testing.T) {
	named := 0
	for _, page := range docPages(t) {
		for _, m := range repoPath.FindAllStringSubmatch(readPage(t, page), -1) {
			named++
			if _, err := os.Stat(filepath.Join("..", m[1])); err != nil {
				t.Errorf("%s names %s: no such file or directory", page, m[1])
			}
		}
	}
	if named == 0 {
		t.Error("the pages name no file of the repository: is the reading of paths broken?")
	}
}

// commandLines are the lines of a page's fenced code blocks (a usage block's
// continuation lines joined to the line they continue) and its inline code spans,
// comments cut.
func commandLines(text string) []string {
	var lines []string
	inBlock := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inBlock = !inBlock
			continue
		}
		line = comment.ReplaceAllString(line, "")
		continued := len(lines) > 0 && strings.HasSuffix(lines[len(lines)-1], "\\")
		switch {
		case inBlock && continued:
			lines[len(lines)-1] = strings.TrimSuffix(lines[len(lines)-1], "\\") + strings.TrimSpace(line)
		case inBlock && len(lines) > 0 && strings.HasPrefix(line, "   ") && strings.HasPrefix(strings.TrimSpace(line), "["):
			lines[len(lines)-1] += " " + strings.TrimSpace(line)
		case inBlock:
			lines = append(lines, strings.TrimSpace(line))
		default:
			for _, m := range inlineCode.FindAllStringSubmatch(line, -1) {
				lines = append(lines, strings.TrimSpace(m[1]))
			}
		}
	}
	return lines
}

// words splits a command line as a shell would (quotes, no expansion), up to the first
// redirection or pipe.
func words(line string) []string {
	var out []string
	var cur strings.Builder
	var quote rune
	inWord := false
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	for i, w := range out {
		if w == ">" || w == ">>" || w == "|" || w == "&&" {
			return out[:i]
		}
	}
	return out
}

// cliFlags are the flags of each CLI command, from kong's model of CLI.
func cliFlags(t *testing.T) map[string][]string {
	t.Helper()
	parser, err := newParser(&CLI{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, cmd := range parser.Model.Children {
		for _, group := range cmd.AllFlags(false) {
			for _, f := range group {
				out[cmd.Name] = append(out[cmd.Name], "--"+f.Name)
				switch f.Tag.Negatable {
				case "":
				case "_":
					out[cmd.Name] = append(out[cmd.Name], "--no-"+f.Name, "--[no-]"+f.Name)
				default:
					out[cmd.Name] = append(out[cmd.Name], "--"+f.Tag.Negatable)
				}
			}
		}
	}
	return out
}

// moduleFunction is a function of the Dagger module (New is ""), with its arguments as
// dagger call names them and which of them are booleans (no value follows).
type moduleFunction struct {
	args  []string
	bools []string
}

// kebab is a Go name as Dagger spells it on the command line: pipIndexURL is
// pip-index-url, MultiStage multi-stage.
func kebab(name string) string {
	rs := []rune(name)
	var b strings.Builder
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]) ||
			(i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1]))) {
			b.WriteRune('-')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// moduleFunctions reads ci/dagger/main.go: New's arguments (the settings before the
// function's name) and every exported method of Multistage.
func moduleFunctions(t *testing.T) map[string]moduleFunction {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), filepath.Join("dagger", "main.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]moduleFunction{}
	for _, decl := range file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || !fn.Name.IsExported() {
			continue
		}
		name := ""
		if fn.Recv != nil {
			name = kebab(fn.Name.Name)
		} else if fn.Name.Name != "New" {
			continue
		}
		var f moduleFunction
		for _, field := range fn.Type.Params.List {
			if sel, ok := field.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Context" {
				continue
			}
			ident, isIdent := field.Type.(*ast.Ident)
			for _, n := range field.Names {
				f.args = append(f.args, "--"+kebab(n.Name))
				if isIdent && ident.Name == "bool" {
					f.bools = append(f.bools, "--"+kebab(n.Name))
				}
			}
		}
		out[name] = f
	}
	return out
}

// daggerOwnFlags are the Dagger CLI's flags that take a value, before a function's name.
var daggerOwnFlags = []string{"--progress"}

func TestReadmeCommandsNameWhatExists(t *testing.T) {
	cli := cliFlags(t)
	module := moduleFunctions(t)
	if len(module[""].args) == 0 || len(module["compare"].args) == 0 || len(cli["compare"]) == 0 {
		t.Fatalf("the module's functions (%v) or the CLI's flags (%v) were not read", module, cli)
	}
	var checkedCLI, checkedModule int
	for _, page := range docPages(t) {
		for _, line := range commandLines(readPage(t, page)) {
			w := words(line)
			switch {
			case len(w) >= 3 && w[0] == "go" && w[1] == "run" && w[2] == "./ci",
				len(w) >= 5 && strings.Join(w[:5], " ") == "dagger run go run ./ci",
				len(w) >= 2 && w[0] == "multistage" && cli[w[1]] != nil:
				checkedCLI++
				args := w[1:]
				if w[0] != "multistage" {
					args = w[slices.Index(w, "./ci")+1:]
				}
				if len(args) == 0 || strings.HasPrefix(args[0], "-") {
					continue // go run ./ci --help
				}
				flags, ok := cli[args[0]]
				if !ok {
					t.Errorf("%s: %q: the CLI has no command %q", page, line, args[0])
					continue
				}
				for _, m := range flagName.FindAllStringSubmatch(strings.Join(args, " "), -1) {
					if !slices.Contains(flags, m[1]) && m[1] != "--help" {
						t.Errorf("%s: %q: `%s` has no flag %s", page, line, args[0], m[1])
					}
				}
				if (args[0] == "build" || args[0] == "check") && len(args) > 1 && !strings.HasPrefix(args[1], "<") && !strings.HasPrefix(args[1], "-") &&
					!slices.Contains(recipe.VariantNames(), args[1]) {
					t.Errorf("%s: %q: no variant %q", page, line, args[1])
				}
			case len(w) >= 2 && w[0] == "dagger" && w[1] == "call":
				checkedModule++
				args := w[2:]
				fn := ""
				for len(args) > 0 {
					a := args[0]
					if !strings.HasPrefix(a, "-") {
						if fn != "" {
							break // a function of what this one returns (Dagger's own Container, File…)
						}
						if _, ok := module[kebab(a)]; !ok || a == "" || a != kebab(a) {
							t.Errorf("%s: %q: the module has no function %q", page, line, a)
							break
						}
						fn, args = a, args[1:]
						continue
					}
					if !strings.HasPrefix(a, "--") { // the Dagger CLI's short flags (-vvv)
						args = args[1:]
						continue
					}
					name, _, hasValue := strings.Cut(a, "=")
					f := module[fn]
					switch {
					case fn == "" && slices.Contains(daggerOwnFlags, name):
					case !slices.Contains(f.args, name):
						where := "the module's constructor"
						if fn != "" {
							where = "function " + fn
						}
						t.Errorf("%s: %q: %s takes no argument %s", page, line, where, name)
					}
					args = args[1:]
					if !hasValue && !slices.Contains(f.bools, name) && len(args) > 0 {
						args = args[1:]
					}
				}
				if fn == "" && len(w) > 2 && !strings.HasSuffix(line, "…") {
					t.Errorf("%s: %q: no function called", page, line)
				}
			}
		}
	}
	if checkedCLI < 5 || checkedModule < 20 {
		t.Fatalf("only %d CLI lines and %d dagger call lines were found: is the reading of code blocks broken?", checkedCLI, checkedModule)
	}
}

// othersFlags are the flags the pages name of other tools, which these tests cannot hold
// to anything: the Dagger CLI's, pip's, gunicorn's, uvicorn's, Django's.
var othersFlags = []string{
	"--path", "--ports", "--name", "--progress", // dagger call's core functions and the Dagger CLI
	"--no-deps", "--require-hashes", "--no-index", "--find-links", "--no-cache-dir", // pip
	"--pythonpath",        // gunicorn
	"--host", "--app-dir", // uvicorn
	"--noreload", // Django's runserver
	"--help",
}

func TestReadmeFlagsAreOursOrANamedTools(t *testing.T) {
	known := slices.Clone(othersFlags)
	for _, flags := range cliFlags(t) {
		known = append(known, flags...)
	}
	for _, f := range moduleFunctions(t) {
		known = append(known, f.args...)
	}
	named := map[string]bool{}
	for _, page := range docPages(t) {
		for _, m := range flagName.FindAllStringSubmatch(readPage(t, page), -1) {
			named[m[1]] = true
			if !slices.Contains(known, m[1]) {
				t.Errorf("%s names %s: neither the CLI, the module nor a named tool has it", page, m[1])
			}
		}
	}
	if len(named) < 40 {
		t.Errorf("the pages name only %d flags: is the reading of flags broken?", len(named))
	}
}

// TestReadmeHelpLinesRun runs the README's CLI lines that need no engine (`go run ./ci
// … --help`) as written, from the repository root, and requires every flag the options
// table gives for the CLI in the help of compare.
func TestReadmeHelpLinesRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go run")
	}
	readme := readPage(t, "../README.md")
	help := map[string]string{}
	for _, line := range commandLines(readme) {
		if !strings.HasPrefix(line, "go run ./ci") || !strings.HasSuffix(line, "--help") {
			continue
		}
		cmd := exec.Command("sh", "-c", line)
		cmd.Dir = ".."
		// As a user types it: the test run's GOFLAGS (-v in CI) would make go run name
		// every package it compiles before the usage.
		cmd.Env = append(os.Environ(), "GOFLAGS=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%q: %v\n%s", line, err, out)
			continue
		}
		if !strings.HasPrefix(string(out), "Usage: multistage") {
			t.Errorf("%q printed %q, want kong's usage", line, out)
		}
		help[strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, "go run ./ci"), "--help"))] = string(out)
	}
	if help[""] == "" || help["compare"] == "" {
		t.Fatalf("the README runs no `go run ./ci --help` and `go run ./ci compare --help` (it runs %q)", slices.Collect(maps.Keys(help)))
	}
	for cmd := range cliFlags(t) {
		if !strings.Contains(help[""], "\n  "+cmd+" ") {
			t.Errorf("go run ./ci --help does not list the command %s", cmd)
		}
	}
	for _, row := range optionsTable(t, readme) {
		for _, m := range flagName.FindAllStringSubmatch(row[1], -1) {
			if !regexp.MustCompile(`\n\s+` + regexp.QuoteMeta(m[1]) + `[=\s]`).MatchString(help["compare"]) {
				t.Errorf("the options table gives the CLI %s, which go run ./ci compare --help does not list", m[1])
			}
		}
	}
}

// optionsTable is the README's table of options, | `dagger call` | `go run ./ci` | what |,
// a row's three cells each.
func optionsTable(t *testing.T, readme string) [][]string {
	t.Helper()
	a := strings.Index(readme, "## Options and exit codes")
	if a < 0 {
		t.Fatal("the README has no options table")
	}
	var rows [][]string
	for _, line := range strings.Split(readme[a:], "\n")[1:] {
		if strings.HasPrefix(line, "## ") {
			break
		}
		if cells := strings.Split(line, " | "); len(cells) == 3 && strings.HasPrefix(line, "| ") && cells[0] != "| `dagger call`" {
			rows = append(rows, cells)
		}
	}
	if len(rows) < 10 {
		t.Fatalf("the options table has %d rows of options", len(rows))
	}
	return rows
}

// TestReadmeOptionsTableIsTheModules: the options table's dagger call column names the
// module's own arguments (of its constructor, or of the function it names).
func TestReadmeOptionsTableIsTheModules(t *testing.T) {
	module := moduleFunctions(t)
	for _, row := range optionsTable(t, readPage(t, "../README.md")) {
		for _, m := range flagName.FindAllStringSubmatch(row[0], -1) {
			found := false
			for _, f := range module {
				found = found || slices.Contains(f.args, m[1])
			}
			if !found {
				t.Errorf("the options table gives dagger call %s, which no function of the module takes", m[1])
			}
		}
	}
}

// TestReadmeCILinesAreEverywhereTheSame: a page that repeats the CI lines repeats the
// README's, which the vendors' configurations are held to.
func TestReadmeCILinesAreEverywhereTheSame(t *testing.T) {
	export, verdict := documentedCommands(t)
	for _, page := range docPages(t) {
		for _, line := range commandLines(readPage(t, page)) {
			if (strings.HasPrefix(line, "dagger call export --max-size") && line != export) ||
				(strings.HasPrefix(line, "dagger call verdict --report") && line != verdict) {
				t.Errorf("%s gives the CI line %q, the README %q and %q", page, line, export, verdict)
			}
		}
	}
}
