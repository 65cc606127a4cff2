package project

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// How the app object is found, by each framework's own rules, read statically (see
// pysource.go for what that reading can and cannot see). The sources followed:
//
//   - Flask: pallets/flask src/flask/cli.py — ScriptInfo.load_app (FLASK_APP / --app,
//     else wsgi.py then app.py), prepare_import (a path or dotted name, walking up
//     packages that have __init__.py), locate_app, find_best_app (app or application,
//     else the only Flask instance, else create_app or make_app called without
//     arguments), find_app_by_string (name or name(literal args); a function is
//     called), load_dotenv (.env takes precedence over .flaskenv).
//   - FastAPI: fastapi/fastapi-cli src/fastapi_cli/discover.py — get_default_path
//     (main.py, app.py, api.py, app/main.py, app/app.py, app/api.py: the first that
//     exists), get_module_data_from_path (walking up packages), get_app_name (app, then
//     api, else the first FastAPI instance in dir() order, which is sorted by name);
//     src/fastapi_cli/config.py ([tool.fastapi] entrypoint in pyproject.toml comes first).
//   - Django: startproject's <project>/wsgi.py and <project>/asgi.py, each binding
//     `application`; the project is found from manage.py's DJANGO_SETTINGS_MODULE.
//   - gunicorn: benoitc/gunicorn gunicorn/util.py import_app (module:name, or
//     module:factory(literal args) since 20.1, called once at start).

// The files each framework looks for when nothing names the app.
var (
	flaskDefaultModules = []string{"wsgi", "app"}
	fastAPIDefaultFiles = []string{"main.py", "app.py", "api.py", "app/main.py", "app/app.py", "app/api.py"}
	flaskEnvFiles       = []string{".env", ".flaskenv"} // in precedence order: .env wins
)

// startFiles are the files discovery may read, known before anything is read.
var startFiles = []string{
	".env", ".flaskenv", "manage.py",
	"wsgi.py", "wsgi/__init__.py", "app.py", "app/__init__.py",
	"main.py", "api.py", "app/main.py", "app/app.py", "app/api.py",
}

const (
	flaskRule   = "Flask's --app discovery: wsgi.py, then app.py; an app or application variable, else a single Flask instance, else create_app/make_app"
	flaskEnvFmt = "Flask's --app discovery: FLASK_APP from .env, else .flaskenv, as module[:name]; %s"
	fastAPIRule = "fastapi run's discovery: main.py, app.py, api.py, app/main.py, app/app.py, app/api.py, the first that exists; an app or api variable, else the first FastAPI instance by name"
)

// constructor is a callable whose result is known by its name: a framework's app class
// or a function that makes the app.
type constructor struct {
	modules []string
	name    string
}

var (
	flaskCtor     = constructor{[]string{"flask", "flask.app"}, "Flask"}
	fastAPICtor   = constructor{[]string{"fastapi", "fastapi.applications"}, "FastAPI"}
	starletteCtor = constructor{[]string{"starlette.applications", "starlette"}, "Starlette"}
	djangoWSGI    = constructor{[]string{"django.core.wsgi"}, "get_wsgi_application"}
	djangoASGI    = constructor{[]string{"django.core.asgi"}, "get_asgi_application"}
)

var callee = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_.]*)\s*\(`)

// constructs says whether expr calls c: c's name bare (imported, or from a star
// import), through an `as` alias of it, or as an attribute of its module (or alias).
func (m *pyModule) constructs(expr string, c constructor) bool {
	call := callee.FindStringSubmatch(expr)
	if call == nil {
		return false
	}
	name := call[1]
	if name == c.name {
		return true
	}
	if b, ok := m.bindings[name]; ok && b.kind == bindImport && b.orig == c.name && slices.Contains(c.modules, b.from) {
		return true
	}
	prefix, last, ok := cutLast(name, ".")
	if !ok || last != c.name {
		return false
	}
	if slices.Contains(c.modules, prefix) {
		return true
	}
	b, ok := m.bindings[prefix]
	return ok && b.kind == bindImport && b.orig == "" && slices.Contains(c.modules, b.from)
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// appFiles is the app directory as discovery sees it: every path, and the files read.
// A file that exists but was not handed over is noted in missing: the caller reads it
// and asks again (MoreWantedFiles), since which module FLASK_APP names, or which local
// module an import comes from, is only known once the first files are read.
type appFiles struct {
	in      Input
	paths   map[string]bool
	missing map[string]bool
	modules map[string]*pyModule
}

func newAppFiles(in Input) *appFiles {
	a := &appFiles{in: in, paths: map[string]bool{}, missing: map[string]bool{}, modules: map[string]*pyModule{}}
	for _, p := range in.Paths {
		a.paths[p] = true
	}
	for p := range in.Files {
		a.paths[p] = true
	}
	return a
}

func (a *appFiles) exists(p string) bool { return a.paths[p] }

// read returns a file's bytes; false when it does not exist or was not read.
func (a *appFiles) read(p string) ([]byte, bool) {
	if data, ok := a.in.Files[p]; ok {
		return data, true
	}
	if a.paths[p] {
		a.missing[p] = true
	}
	return nil, false
}

// module reads a module's source statically; nil when it cannot be read.
func (a *appFiles) module(file string) *pyModule {
	if m, ok := a.modules[file]; ok {
		return m
	}
	src, ok := a.read(file)
	var m *pyModule
	if ok {
		m = readModule(src)
	}
	a.modules[file] = m
	return m
}

// moduleFile is the file of a dotted module under root ("" is the app directory), as
// Python's path finder picks it: the package (__init__.py) before the .py file.
func (a *appFiles) moduleFile(root, dotted string) (string, bool) {
	base := path.Join(root, strings.ReplaceAll(dotted, ".", "/"))
	for _, f := range []string{base + "/__init__.py", base + ".py"} {
		if a.exists(f) {
			return f, true
		}
	}
	return "", false
}

// pyModuleRef is a module found in the app directory: its dotted name, its file, and
// the directory that must be on sys.path for the name to import ("" for the app's).
type pyModuleRef struct{ name, file, root string }

func (r pyModuleRef) isPackage() bool { return path.Base(r.file) == "__init__.py" }

// lookup finds a module-level name of a module, following `from m import name` into
// modules of the app directory (up to a few hops); the binding found, and the module
// it is bound in.
func (a *appFiles) lookup(mod pyModuleRef, name string) (binding, pyModuleRef, bool) {
	for hop := 0; hop < 4; hop++ {
		m := a.module(mod.file)
		if m == nil {
			return binding{}, mod, false
		}
		b, ok := m.bindings[name]
		if !ok {
			return binding{}, mod, false
		}
		if b.kind != bindImport || b.orig == "" {
			return b, mod, true
		}
		from := absoluteModule(mod, b.from)
		file, ok := a.moduleFile(mod.root, from)
		if !ok && mod.root != "" {
			file, ok = a.moduleFile("", from)
		}
		if !ok {
			// Imported from outside the app (an installed package): not seen.
			return b, mod, true
		}
		next := pyModuleRef{from, file, mod.root}
		if nm := a.module(file); nm == nil {
			return b, mod, true
		} else if _, bound := nm.bindings[b.orig]; !bound {
			// Perhaps a submodule, or bound in a way the reading cannot see.
			return b, mod, true
		}
		mod, name = next, b.orig
	}
	return binding{}, mod, false
}

// absoluteModule turns a relative import's module (".views", "..models") into a
// dotted name, from the importing module's package.
func absoluteModule(mod pyModuleRef, from string) string {
	rel := strings.TrimLeft(from, ".")
	level := len(from) - len(rel)
	if level == 0 {
		return from
	}
	pkg := mod.name
	if !mod.isPackage() {
		pkg, _, _ = cutLast(mod.name, ".")
		if !strings.Contains(mod.name, ".") {
			pkg = ""
		}
	}
	for i := 1; i < level; i++ {
		pkg, _, _ = cutLast(pkg, ".")
	}
	switch {
	case pkg == "":
		return rel
	case rel == "":
		return pkg
	}
	return pkg + "." + rel
}

// found is an app object discovery found: the target a server imports, where, and by which rule.
type found struct {
	target string // module:name or module:factory()
	file   string // where it was found: the module's file (for Django, manage.py)
	root   string // the directory the module imports from, when not the app directory
	what   string // which object, in words: "its app variable", "the factory create_app()"
	rule   string // the framework's rule that found it
	from   string // the setting that named the module (FLASK_APP=… in .flaskenv), if any
}

// --- Flask -------------------------------------------------------------------

// flaskApp finds the Flask app as `flask --app` would, with FLASK_APP from .env or
// .flaskenv (Flask loads them through python-dotenv; here they are read either way,
// as a statement of where the app is), else wsgi.py, then app.py.
func (a *appFiles) flaskApp() (found, error) {
	for _, env := range flaskEnvFiles {
		data, ok := a.read(env)
		if !ok {
			continue
		}
		if value, ok := dotenvValue(data, "FLASK_APP"); ok && strings.TrimSpace(value) != "" {
			return a.flaskAppNamed(strings.TrimSpace(value), env)
		}
	}
	for _, name := range flaskDefaultModules {
		// prepare_import("wsgi.py") gives the module wsgi, which imports a wsgi/ package too.
		file, ok := a.moduleFile("", name)
		if !ok {
			continue
		}
		mod := pyModuleRef{name, file, ""}
		// locate_app stops at the first module that imports: one without an app is an error.
		f, err := a.findBestFlaskApp(mod, "")
		if err != nil {
			return found{}, err
		}
		f.rule = flaskRule
		return f, nil
	}
	return found{}, &notFound{fmt.Sprintf("Flask's discovery found no app: no FLASK_APP in .env or .flaskenv, and neither wsgi.py nor app.py%s", a.flaskHint())}
}

// flaskHint points at a Flask app in a file read for another framework's rules (main.py,
// api.py), which Flask does not look in; it asks for no file to be read.
func (a *appFiles) flaskHint() string {
	for _, file := range []string{"main.py", "api.py"} {
		if _, read := a.in.Files[file]; read {
			m := a.module(file)
			for _, name := range sortedNames(m) {
				if b := m.bindings[name]; b.kind == bindValue && m.constructs(b.expr, flaskCtor) {
					return fmt.Sprintf(" (%s has %s = Flask(...), but Flask does not look there: set FLASK_APP=%s in .flaskenv, or rename it wsgi.py)", file, name, strings.TrimSuffix(file, ".py"))
				}
			}
		}
	}
	return ""
}

// notFound is the error of rules that found nothing (another server may then be tried).
type notFound struct{ msg string }

func (e *notFound) Error() string { return e.msg }

var flaskAppValue = regexp.MustCompile(`:(?:[^\\/]|$)`)

// flaskAppNamed follows FLASK_APP=module[:name]: the module is a dotted name or a path
// (prepare_import), the name a variable or a function, called with literal arguments if
// given, without otherwise (find_app_by_string); without a name, find_best_app.
func (a *appFiles) flaskAppNamed(value, env string) (found, error) {
	setting := "FLASK_APP=" + value + " in " + env
	modulePart, namePart := value, ""
	// Flask splits at the first colon not followed by a slash or backslash (Windows paths).
	if loc := flaskAppValue.FindStringIndex(value); loc != nil {
		modulePart, namePart = value[:loc[0]], strings.TrimSpace(value[loc[0]+1:])
	}
	mod, err := a.prepareImport(modulePart)
	if err != nil {
		return found{}, fmt.Errorf("%s: %v: fix FLASK_APP, pass --command, or add a Procfile with a web: line", setting, err)
	}
	if namePart == "" {
		f, err := a.findBestFlaskApp(mod, setting)
		if err != nil {
			return found{}, err
		}
		f.rule, f.from = fmt.Sprintf(flaskEnvFmt, "the module named, then an app or application variable, else a single Flask instance, else create_app/make_app"), setting
		return f, nil
	}
	call := factoryCall.FindStringSubmatch(namePart)
	if call == nil {
		return found{}, fmt.Errorf("%s: %q is neither a name nor a call name(args) (Flask's rule): fix FLASK_APP, or pass --command", setting, namePart)
	}
	name, args, hasArgs := call[1], call[2], call[2] != ""
	f := found{file: mod.file, root: mod.root, from: setting,
		rule: fmt.Sprintf(flaskEnvFmt, "a function named is called")}
	b, _, ok := a.lookup(mod, name)
	switch {
	case !ok && len(a.module(mod.file).starImportsOrNil()) > 0:
		// Perhaps bound by `from … import *`: not seen; taken as FLASK_APP says.
		f.target, f.what = mod.name+":"+namePart, name+" (from a * import, not seen)"
	case !ok:
		return found{}, fmt.Errorf("%s names %s, which %s does not bind at module level: fix FLASK_APP, pass --command, or add a Procfile with a web: line", setting, name, mod.file)
	case b.kind == bindClass:
		return found{}, fmt.Errorf("%s names the class %s, not an app or a factory: fix FLASK_APP, or pass --command", setting, name)
	case b.kind == bindDef:
		if !hasArgs {
			if req := requiredParams(b.params); len(req) > 0 {
				return found{}, fmt.Errorf("%s names the factory %s, which Flask calls without arguments but needs %s: set FLASK_APP=%s:%s(...) with literal arguments, or pass --command", setting, name, strings.Join(req, ", "), mod.name, name)
			}
			args = "()"
		}
		f.target, f.what = mod.name+":"+name+args, "the factory "+name+args
	case b.kind == bindImport && hasArgs:
		// Imported from outside the app: called as FLASK_APP says (Flask calls functions only).
		f.target, f.what = mod.name+":"+name+args, "the factory "+name+args+" (imported)"
	default:
		// A variable: Flask ignores arguments for what is not a function.
		f.target, f.what = mod.name+":"+name, "its "+name+" variable"
	}
	return f, nil
}

var factoryCall = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\s*(\(.*\))?$`)

func (m *pyModule) starImportsOrNil() []string {
	if m == nil {
		return nil
	}
	return m.starImports
}

// prepareImport turns FLASK_APP's module part into a module, as Flask's
// prepare_import does: a path (hello.py, src/hello, shop/__init__.py) or a dotted name;
// the module's name takes in every parent directory that holds __init__.py, and the
// first that does not is put on sys.path (gunicorn gets it as --pythonpath).
func (a *appFiles) prepareImport(value string) (pyModuleRef, error) {
	p := strings.TrimSuffix(strings.ReplaceAll(value, "\\", "/"), ".py")
	p = strings.TrimSuffix(path.Clean(p), "/__init__")
	if p == "." || p == "" || path.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") {
		return pyModuleRef{}, fmt.Errorf("the module %q is not inside the app directory", value)
	}
	name, dir := a.importName(p)
	file, ok := a.moduleFile(dir, name)
	if !ok {
		where := path.Join(dir, strings.ReplaceAll(name, ".", "/"))
		return pyModuleRef{}, fmt.Errorf("the app directory has no %s.py or %s/__init__.py", where, where)
	}
	return pyModuleRef{name, file, dir}, nil
}

// findBestFlaskApp applies find_best_app to a module: an app or application variable,
// else the only Flask instance, else a create_app or make_app function (called
// without arguments). Statically, an app or application variable is taken when it is
// bound to a call, a name or an import (its type is known only when it runs), unless it
// is plainly something else (a FastAPI or Starlette app, a function, a class, a module).
func (a *appFiles) findBestFlaskApp(mod pyModuleRef, setting string) (found, error) {
	f := found{file: mod.file, root: mod.root}
	m := a.module(mod.file)
	if m == nil {
		return found{}, fmt.Errorf("%s cannot be read", mod.file)
	}
	for _, name := range []string{"app", "application"} {
		b, at, ok := a.lookup(mod, name)
		if !ok || !a.mayBeApp(b, at, flaskCtor) {
			continue
		}
		f.target, f.what = mod.name+":"+name, "its "+name+" variable"
		if b.kind == bindValue && b.expr != "" {
			f.what += " (" + name + " = " + shorten(b.expr) + ")"
		}
		return f, nil
	}
	instances := a.instances(mod, m, flaskCtor)
	if len(instances) == 1 {
		f.target, f.what = mod.name+":"+instances[0], "its one Flask instance "+instances[0]
		return f, nil
	}
	fix := "set FLASK_APP=" + mod.name + ":name in .flaskenv"
	if setting != "" {
		fix = "fix " + setting
	}
	if len(instances) > 1 {
		return found{}, fmt.Errorf("%s has %d Flask apps (%s) and no app or application variable, and Flask's discovery takes only one: %s, or pass --command",
			mod.file, len(instances), strings.Join(instances, ", "), fix)
	}
	for _, name := range []string{"create_app", "make_app"} {
		b, _, ok := a.lookup(mod, name)
		if !ok || (b.kind != bindDef && !(b.kind == bindImport && b.orig != "")) {
			continue
		}
		if req := requiredParams(b.params); b.kind == bindDef && len(req) > 0 {
			return found{}, fmt.Errorf("%s has the factory %s, which Flask calls without arguments but needs %s: set FLASK_APP=%s:%s(...) with literal arguments in .flaskenv, or pass --command",
				mod.file, name, strings.Join(req, ", "), mod.name, name)
		}
		f.target, f.what = mod.name+":"+name+"()", "the factory "+name+"()"
		if b.kind == bindImport {
			f.what += " (imported from " + b.from + ")"
		}
		return f, nil
	}
	return found{}, &notFound{fmt.Sprintf("Flask's discovery found no app in %s (no app or application variable, no Flask instance, no create_app or make_app)", mod.file)}
}

// mayBeApp says whether a binding can be the app a server is given: a value or an
// import, not a def, class or module, and not another kind of app than want.
func (a *appFiles) mayBeApp(b binding, at pyModuleRef, want constructor) bool {
	switch b.kind {
	case bindImport:
		return b.orig != "" // `import app` binds a module
	case bindValue:
		if b.expr == "" || !(identifierStart(b.expr)) {
			return false // a literal: a string, a number, a list…
		}
		m := a.module(at.file)
		for _, other := range []constructor{flaskCtor, fastAPICtor, starletteCtor, djangoWSGI, djangoASGI} {
			if other.name != want.name && m.constructs(b.expr, other) && !sameKind(other, want) {
				return false
			}
		}
		return true
	}
	return false
}

// sameKind: Django's WSGI app serves where a Flask app does, its ASGI app where FastAPI's does.
func sameKind(a, b constructor) bool {
	wsgi := func(c constructor) bool { return c.name == flaskCtor.name || c.name == djangoWSGI.name }
	return wsgi(a) == wsgi(b)
}

func identifierStart(s string) bool {
	c := s[0]
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// instances lists the module-level names bound to an instance of c, sorted by name
// (the order of dir()); imports are followed into the app's own modules.
func (a *appFiles) instances(mod pyModuleRef, m *pyModule, c constructor) []string {
	var names []string
	for _, name := range sortedNames(m) {
		b, at, ok := a.lookup(mod, name)
		if ok && b.kind == bindValue && a.module(at.file).constructs(b.expr, c) {
			names = append(names, name)
		}
	}
	return names
}

func sortedNames(m *pyModule) []string {
	names := make([]string, 0, len(m.bindings))
	for n := range m.bindings {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func shorten(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// --- FastAPI -----------------------------------------------------------------

// fastAPIApp finds the app as `fastapi run` does: [tool.fastapi] entrypoint, else the
// first of its default files; in it app, then api, else the first FastAPI instance by
// name. A Starlette app, which fastapi-cli does not look for, is taken after that
// (uvicorn serves any ASGI app).
func (a *appFiles) fastAPIApp() (found, error) {
	if entry, err := fastAPIEntrypoint(a.in.Files); err != nil || entry != "" {
		if err != nil {
			return found{}, err
		}
		return found{target: entry, file: "pyproject.toml", what: "the entrypoint " + entry,
			rule: "fastapi run's configuration: pyproject.toml [tool.fastapi] entrypoint comes before its discovery"}, nil
	}
	var file string
	for _, f := range fastAPIDefaultFiles {
		if a.exists(f) {
			file = f
			break
		}
	}
	if file == "" {
		return found{}, &notFound{"fastapi run's discovery found none of " + strings.Join(fastAPIDefaultFiles, ", ")}
	}
	mod := a.modulePath(file)
	m := a.module(file)
	if m == nil {
		return found{}, fmt.Errorf("%s cannot be read", file)
	}
	f := found{file: file, root: mod.root, rule: fastAPIRule}
	for _, name := range []string{"app", "api"} {
		if b, at, ok := a.lookup(mod, name); ok && a.mayBeApp(b, at, fastAPICtor) {
			f.target, f.what = mod.name+":"+name, "its "+name+" variable"
			return f, nil
		}
	}
	for _, c := range []constructor{fastAPICtor, starletteCtor} {
		if names := a.instances(mod, m, c); len(names) > 0 {
			f.target, f.what = mod.name+":"+names[0], "its "+c.name+" instance "+names[0]
			if c.name == starletteCtor.name {
				f.rule += " (a Starlette app taken too: uvicorn serves any ASGI app)"
			}
			return f, nil
		}
	}
	return found{}, &notFound{fmt.Sprintf("fastapi run's discovery found no app in %s (no app or api variable, no FastAPI instance)", file)}
}

// modulePath names a file's module as get_module_data_from_path does: every parent
// directory with __init__.py is part of the name; the first without is the import root.
func (a *appFiles) modulePath(file string) pyModuleRef {
	p := strings.TrimSuffix(file, ".py")
	name, root := a.importName(strings.TrimSuffix(p, "/__init__"))
	return pyModuleRef{name, file, root}
}

// importName is the dotted name of the module at p (a path without .py or /__init__):
// every parent directory with __init__.py is part of it; the first without is the
// import root, returned beside it.
func (a *appFiles) importName(p string) (name, root string) {
	dir, last := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	names := []string{last}
	for dir != "" && a.exists(dir+"/__init__.py") {
		parent, base := path.Split(dir)
		names = append([]string{base}, names...)
		dir = strings.TrimSuffix(parent, "/")
	}
	return strings.Join(names, "."), dir
}

// fastAPIEntrypoint reads [tool.fastapi] entrypoint from pyproject.toml ("" when none).
func fastAPIEntrypoint(files Files) (string, error) {
	data, ok := files[string(FormatPyproject)]
	if !ok {
		return "", nil
	}
	var doc struct {
		Tool struct {
			FastAPI struct {
				Entrypoint string `toml:"entrypoint"`
			} `toml:"fastapi"`
		} `toml:"tool"`
	}
	if err := decodeTOML(string(FormatPyproject), data, &doc); err != nil {
		return "", err
	}
	entry := strings.TrimSpace(doc.Tool.FastAPI.Entrypoint)
	if entry == "" {
		return "", nil
	}
	if module, name, ok := strings.Cut(entry, ":"); !ok || module == "" || name == "" {
		return "", fmt.Errorf("pyproject.toml [tool.fastapi] entrypoint %q is not module:app (fastapi-cli needs both): fix it, or pass --command", entry)
	}
	return entry, nil
}

// --- Django ------------------------------------------------------------------

var djangoSettings = regexp.MustCompile(`DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([A-Za-z0-9_.]+)['"]`)

// djangoApp finds startproject's <project>/wsgi.py or asgi.py (kind "wsgi" or "asgi")
// from manage.py's settings module: mysite.settings gives mysite; a settings package
// (config.settings.production) is walked up until a package holds the file.
func (a *appFiles) djangoApp(kind string) (found, bool) {
	data, ok := a.read("manage.py")
	if !ok {
		return found{}, false
	}
	m := djangoSettings.FindSubmatch(data)
	if m == nil {
		return found{}, false
	}
	settings := string(m[1])
	for pkg, _, ok := cutLast(settings, "."); ok; pkg, _, ok = cutLast(pkg, ".") {
		file := strings.ReplaceAll(pkg, ".", "/") + "/" + kind + ".py"
		if a.exists(file) {
			return found{target: pkg + "." + kind + ":application", file: "manage.py (settings " + settings + ")",
				what: "the application of " + file,
				rule: "Django's startproject layout: <project>/" + kind + ".py binds application; the project from manage.py's DJANGO_SETTINGS_MODULE"}, true
		}
	}
	return found{}, false
}

// --- dotenv ------------------------------------------------------------------

var dotenvLine = regexp.MustCompile(`^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$`)

// dotenvValue is the value a dotenv file gives key, in python-dotenv's syntax: KEY=value
// or export KEY=value; 'single-quoted' taken as is, "double-quoted" with backslash
// escapes, an unquoted value up to a ` #` comment. The last line wins, as in
// dotenv_values. ${VAR} interpolation is not done (a FLASK_APP that needs it is not seen).
func dotenvValue(data []byte, key string) (string, bool) {
	value, found := "", false
	for _, line := range strings.Split(string(data), "\n") {
		m := dotenvLine.FindStringSubmatch(strings.TrimRight(line, "\r"))
		if m == nil || m[1] != key {
			continue
		}
		raw := strings.TrimSpace(m[2])
		switch {
		case strings.HasPrefix(raw, "'"):
			if end := strings.Index(raw[1:], "'"); end >= 0 {
				raw = raw[1 : 1+end]
			}
		case strings.HasPrefix(raw, `"`):
			var b strings.Builder
			for i := 1; i < len(raw); i++ {
				if raw[i] == '\\' && i+1 < len(raw) {
					i++
					b.WriteByte(raw[i])
					continue
				}
				if raw[i] == '"' {
					break
				}
				b.WriteByte(raw[i])
			}
			raw = b.String()
		default:
			if i := strings.Index(raw, " #"); i >= 0 {
				raw = raw[:i]
			}
			if strings.HasPrefix(raw, "#") {
				raw = ""
			}
			raw = strings.TrimSpace(raw)
		}
		value, found = raw, true
	}
	return value, found
}

// Keep is what of a file read from the app directory the plan keeps: all of it, but of
// .env only its FLASK_APP lines. A .env holds secrets; the rest of it is dropped as soon
// as it is read, and is never put in a plan, a report or an image by this package.
func Keep(name string, data []byte) []byte {
	if name != ".env" {
		return data
	}
	var kept []string
	for _, line := range strings.Split(string(data), "\n") {
		if m := dotenvLine.FindStringSubmatch(line); m != nil && m[1] == "FLASK_APP" {
			kept = append(kept, line)
		}
	}
	return []byte(strings.Join(kept, "\n"))
}

// MoreWantedFiles are the files of the app directory the plan would read next, given
// those read so far (in.Files): the module FLASK_APP names, and the app's own modules
// the found modules import names from. Empty when nothing more is needed; the caller
// reads them and asks again, a few rounds at most.
func MoreWantedFiles(in Input) []string {
	a := newAppFiles(in)
	_, _ = a.flaskApp()
	_, _ = a.fastAPIApp()
	a.djangoApp("wsgi")
	var more []string
	for p := range a.missing {
		more = append(more, p)
	}
	sort.Strings(more)
	return more
}
