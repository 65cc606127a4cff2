package project

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const flaskApp = "from flask import Flask\napp = Flask(__name__)\n"

const poetryPyproject = `[tool.poetry]
name = "demo"
version = "0.1.0"
package-mode = false

[tool.poetry.dependencies]
python = "^3.11"
flask = "^3.0"

[tool.poetry.group.dev.dependencies]
pytest = "^8.0"
`

// The hash python's json.dumps gives for poetryPyproject (poetry 1.8's formula).
const poetryHash = "16b1cfc98ec94288e6b37bf94dab77bc07be7344785c06bb41aefa7c31975275"

const poetryLockText = `[[package]]
name = "flask"
version = "3.1.0"
optional = false
python-versions = ">=3.9"
files = [
    {file = "flask-3.1.0-py3-none-any.whl", hash = "sha256:f1"},
]

[package.dependencies]
click = ">=8.1.3"
importlib-metadata = {version = ">=3.6", markers = "python_version < \"3.10\""}

[package.extras]
async = ["asgiref (>=3.2)"]

[[package]]
name = "click"
version = "8.1.8"
optional = false
python-versions = ">=3.7"
files = [
    {file = "click-8.1.8-py3-none-any.whl", hash = "sha256:c1"},
]

[package.dependencies]
colorama = {version = "*", markers = "platform_system == \"Windows\""}

[[package]]
name = "colorama"
version = "0.4.6"
optional = false
python-versions = "*"
files = [{file = "colorama-0.4.6-py2.py3-none-any.whl", hash = "sha256:co"}]

[[package]]
name = "pytest"
version = "8.3.4"
optional = false
python-versions = ">=3.8"
files = [{file = "pytest-8.3.4-py3-none-any.whl", hash = "sha256:pt"}]

[metadata]
lock-version = "2.0"
python-versions = "^3.11"
content-hash = "` + poetryHash + `"
`

const uvPyproject = `[project]
name = "uv-demo"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["Flask[async] >= 3"]

[dependency-groups]
dev = ["pytest>=8"]
`

const uvLockText = `version = 1
revision = 2
requires-python = ">=3.11"

[[package]]
name = "asgiref"
version = "3.8.1"
source = { registry = "https://index.example/simple" }
wheels = [{ url = "https://example.invalid/asgiref.whl", hash = "sha256:as", size = 1 }]

[[package]]
name = "click"
version = "8.1.8"
source = { registry = "https://index.example/simple" }
dependencies = [
    { name = "colorama", marker = "sys_platform == 'win32'" },
]
sdist = { url = "https://example.invalid/click.tar.gz", hash = "sha256:c0", size = 1 }
wheels = [{ url = "https://example.invalid/click.whl", hash = "sha256:c1", size = 1 }]

[[package]]
name = "colorama"
version = "0.4.6"
source = { registry = "https://index.example/simple" }
wheels = [{ url = "https://example.invalid/colorama.whl", hash = "sha256:co", size = 1 }]

[[package]]
name = "flask"
version = "3.1.0"
source = { registry = "https://index.example/simple" }
dependencies = [{ name = "click" }]
wheels = [{ url = "https://example.invalid/flask.whl", hash = "sha256:f1", size = 1 }]

[package.optional-dependencies]
async = [{ name = "asgiref" }]

[[package]]
name = "pytest"
version = "8.3.4"
source = { registry = "https://index.example/simple" }
wheels = [{ url = "https://example.invalid/pytest.whl", hash = "sha256:pt", size = 1 }]

[[package]]
name = "uv-demo"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "flask", extra = ["async"] }]

[package.dev-dependencies]
dev = [{ name = "pytest" }]

[package.metadata]
requires-dist = [{ name = "flask", extras = ["async"], specifier = ">=3" }]

[package.metadata.requires-dev]
dev = [{ name = "pytest", specifier = ">=8" }]
`

const pipfileLockText = `{
    "_meta": {"hash": {"sha256": "x"}, "pipfile-spec": 6, "requires": {"python_version": "3.12"}, "sources": []},
    "default": {
        "flask": {"hashes": ["sha256:f2", "sha256:f1"], "index": "index", "markers": "python_version >= '3.9'", "version": "==3.1.0"},
        "click": {"hashes": ["sha256:c1"], "version": "==8.1.8"}
    },
    "develop": {"pytest": {"hashes": ["sha256:pt"], "version": "==8.3.4"}}
}`

func files(kv ...string) Files {
	f := Files{}
	for i := 0; i+1 < len(kv); i += 2 {
		f[kv[i]] = []byte(kv[i+1])
	}
	return f
}

func read(t *testing.T, f Files, opts ...func(*Input)) (*Plan, error) {
	t.Helper()
	in := Input{Files: f, DefaultPythonVersion: "3.13", Port: 5000}
	for p := range f {
		in.Paths = append(in.Paths, p)
	}
	for _, o := range opts {
		o(&in)
	}
	return Read(in)
}

func TestReadFindsTheFormatInTheDocumentedOrder(t *testing.T) {
	tools := "[tool.ruff]\nline-length = 100\n"
	cases := []struct {
		name      string
		files     Files
		format    Format
		packages  int
		pinned    []string // name==version[;marker]
		reason    string
		installPk bool
	}{
		{"requirements.txt", files("app.py", flaskApp, "requirements.txt", "flask\n# comment\n\nwerkzeug>=3\n"), FormatRequirements, 2, nil, "requirements.txt lists", false},
		{"tools-only pyproject keeps requirements.txt", files("app.py", flaskApp, "requirements.txt", "flask\n", "pyproject.toml", tools), FormatRequirements, 1, nil, "only configures tools", false},
		{"pyproject with dependencies", files("app.py", flaskApp, "requirements.txt", "x\n", "pyproject.toml", "[project]\nname = \"p\"\ndependencies = [\"flask>=3\", \"gunicorn\"]\n"), FormatPyproject, 2, nil, "requirements.txt is not read", false},
		{"pyproject package", files("app.py", flaskApp, "pyproject.toml", "[project]\nname = \"pkg\"\ndependencies = [\"flask\"]\n[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n"), FormatPyproject, 1, nil, "no lock file", true},
		{"uv.lock", files("app.py", flaskApp, "pyproject.toml", uvPyproject, "uv.lock", uvLockText, "requirements.txt", "ignored\n"), FormatUV, 4,
			[]string{"asgiref==3.8.1", "click==8.1.8", "colorama==0.4.6;sys_platform == 'win32'", "flask==3.1.0"}, "dev groups left out (dev)", false},
		{"poetry.lock", files("app.py", flaskApp, "pyproject.toml", poetryPyproject, "poetry.lock", poetryLockText), FormatPoetry, 3,
			[]string{"click==8.1.8", "colorama==0.4.6;platform_system == \"Windows\"", "flask==3.1.0"}, "groups left out (dev)", false},
		{"Pipfile.lock", files("app.py", flaskApp, "Pipfile.lock", pipfileLockText), FormatPipenv, 2,
			[]string{"click==8.1.8", "flask==3.1.0;python_version >= '3.9'"}, "develop left out (1 packages)", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan, err := read(t, c.files)
			if err != nil {
				t.Fatal(err)
			}
			if plan.Format != c.format || plan.DecidedBy != string(c.format) || plan.Packages != c.packages || plan.InstallProject != c.installPk {
				t.Errorf("got format %s by %s, %d packages, install project %t; want %s, %d, %t", plan.Format, plan.DecidedBy, plan.Packages, plan.InstallProject, c.format, c.packages, c.installPk)
			}
			if !strings.Contains(plan.Reason, c.reason) {
				t.Errorf("reason %q lacks %q", plan.Reason, c.reason)
			}
			var pinned []string
			for _, r := range plan.Pinned {
				s := r.Name + "==" + r.Version
				if r.Marker != "" {
					s += ";" + r.Marker
				}
				pinned = append(pinned, s)
			}
			if !slices.Equal(pinned, c.pinned) {
				t.Errorf("pinned %q, want %q", pinned, c.pinned)
			}
		})
	}
}

func TestPinnedRequirementsCarryEveryHashAndInstallWithoutResolving(t *testing.T) {
	plan, err := read(t, files("app.py", flaskApp, "Pipfile.lock", pipfileLockText))
	if err != nil {
		t.Fatal(err)
	}
	want := "# generated by multistage from the lock file: every package pinned, installed with --no-deps\n" +
		"click==8.1.8 --hash=sha256:c1\n" +
		"flask==3.1.0 ; python_version >= '3.9' --hash=sha256:f1 --hash=sha256:f2\n"
	if plan.Requirements != want {
		t.Errorf("requirements:\n%s\nwant:\n%s", plan.Requirements, want)
	}
	if !plan.Hashed || !slices.Equal(plan.PipArgs(), []string{"--no-deps", "--require-hashes"}) {
		t.Errorf("hashed %t, pip args %q", plan.Hashed, plan.PipArgs())
	}
	req, _ := read(t, files("app.py", flaskApp, "requirements.txt", "flask\n"))
	if req.PipArgs() != nil || req.Requirements != "flask\n" {
		t.Errorf("requirements.txt must install as given: args %q, file %q", req.PipArgs(), req.Requirements)
	}
}

func TestReadRefusesBadInputInOneLine(t *testing.T) {
	cases := []struct {
		name  string
		files Files
		opts  []func(*Input)
		want  string
	}{
		{"empty", Files{}, nil, "app directory is empty"},
		{"nothing to install", files("app.py", flaskApp), nil, "app directory has no requirements.txt, pyproject.toml or lock file: add requirements.txt, even empty"},
		{"tools-only pyproject alone", files("app.py", flaskApp, "pyproject.toml", "[tool.black]\n"), nil, "pyproject.toml only configures tools"},
		{"two locks", files("pyproject.toml", uvPyproject, "uv.lock", uvLockText, "poetry.lock", poetryLockText), nil, "app directory has two lock files, uv.lock and poetry.lock: keep the one"},
		{"broken uv.lock", files("pyproject.toml", uvPyproject, "uv.lock", "version = 1\n\n[[package]\nname = \"x\"\n"), nil, "uv.lock does not parse (line 3:"},
		{"broken Pipfile.lock", files("Pipfile.lock", "{\n  \"default\": {,\n}"), nil, "Pipfile.lock does not parse (line 2:"},
		{"broken pyproject", files("pyproject.toml", "[project\n", "requirements.txt", ""), nil, "pyproject.toml does not parse (line 1:"},
		{"uv lock out of date", files("pyproject.toml", strings.Replace(uvPyproject, ">= 3", ">=3.1", 1), "uv.lock", uvLockText), nil,
			"uv.lock is out of date: pyproject.toml requires Flask[async] >=3.1, which the lock was not made from: run `uv lock`"},
		{"poetry lock out of date", files("pyproject.toml", strings.Replace(poetryPyproject, `flask = "^3.0"`, `flask = "^3.1"`, 1), "poetry.lock", poetryLockText), nil,
			"poetry.lock is out of date: pyproject.toml changed since the lock was made (content-hash differs): run `poetry lock`"},
		{"poetry lock missing a needed package", files("pyproject.toml", poetryPyproject, "poetry.lock", strings.Replace(poetryLockText, `click = ">=8.1.3"`, "click = \">=8.1.3\"\nwerkzeug = \">=3\"", 1)), nil,
			"poetry.lock does not lock werkzeug, which the project needs: run `poetry lock`"},
		{"poetry without lock", files("pyproject.toml", poetryPyproject), nil, "poetry project without poetry.lock: run `poetry lock`"},
		{"requires-python excludes", files("app.py", flaskApp, "pyproject.toml", "[project]\nname = \"p\"\nrequires-python = \">=3.14\"\ndependencies = [\"flask\"]\n"), nil,
			`pyproject.toml requires-python ">=3.14" excludes Python 3.13 (from default): pass --python-version with a version it allows, or change it`},
		{"poetry python excludes", files("pyproject.toml", poetryPyproject, "poetry.lock", poetryLockText, "app.py", flaskApp),
			[]func(*Input){func(in *Input) { in.PythonVersion = "3.10" }}, `python ">=3.11,<4" excludes Python 3.10 (from --python-version)`},
		{"git package in Pipfile.lock", files("Pipfile.lock", `{"default": {"x": {"git": "https://example.invalid/x.git", "ref": "abc"}}}`), nil, "Pipfile.lock installs x from git https://example.invalid/x.git, not a pinned index package"},
		{"no app.py", files("requirements.txt", "flask\n"), nil, "app directory has no app.py: add it, or pass --command"},
		{"gunicorn without an app", files("requirements.txt", "flask\ngunicorn\n", "app.py", "print('hi')\n"), nil,
			"the dependencies include gunicorn but Flask's discovery found no app in app.py (no app or application variable, no Flask instance, no create_app or make_app): set FLASK_APP=module:name in .flaskenv, pass --command, or add a Procfile"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := read(t, c.files, c.opts...)
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line containing %q", err, c.want)
			}
		})
	}
}

func TestPythonVersionComesFromTheFlagThenTheProject(t *testing.T) {
	base := files("app.py", flaskApp, "requirements.txt", "flask\n")
	with := func(extra ...string) Files {
		f := Files{}
		for k, v := range base {
			f[k] = v
		}
		for k, v := range files(extra...) {
			f[k] = v
		}
		return f
	}
	flag := func(in *Input) { in.PythonVersion = "3.11" }
	cases := []struct {
		name            string
		files           Files
		opts            []func(*Input)
		version, source string
	}{
		{"default", base, nil, "3.13", "default"},
		{".python-version", with(".python-version", "# pinned\n3.12.4\n"), nil, "3.12", ".python-version"},
		{"flag first", with(".python-version", "3.12\n"), []func(*Input){flag}, "3.11", "--python-version"},
		{"Pipfile.lock", files("app.py", flaskApp, "Pipfile.lock", pipfileLockText), nil, "3.12", "Pipfile.lock python_version"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan, err := read(t, c.files, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if plan.PythonVersion != c.version || plan.PythonSource != c.source {
				t.Errorf("got %s from %s, want %s from %s", plan.PythonVersion, plan.PythonSource, c.version, c.source)
			}
		})
	}
}

func TestStartCommandIsChosenInTheDocumentedOrder(t *testing.T) {
	django := files("requirements.txt", "django\ngunicorn\n", "manage.py", "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n", "mysite/wsgi.py", "application = get_wsgi_application()\n")
	cases := []struct {
		name    string
		files   Files
		opts    []func(*Input)
		command string
		reason  string
	}{
		{"python app.py", files("requirements.txt", "flask\n", "app.py", flaskApp), nil, "python app.py", "app.py is the app's script"},
		{"python main.py", files("requirements.txt", "flask\n", "main.py", flaskApp), nil, "python main.py", "main.py is the app's script"},
		{"--command", files("requirements.txt", "gunicorn\n", "app.py", flaskApp), []func(*Input){func(in *Input) { in.Command = []string{"python", "serve.py"} }}, "python serve.py", "given with --command"},
		{"Procfile with $PORT", files("requirements.txt", "gunicorn\n", "app.py", flaskApp, "Procfile", "release: echo\nweb: gunicorn --workers 2 --bind 0.0.0.0:$PORT 'app:app'\n"), nil,
			"gunicorn --workers 2 --bind 0.0.0.0:5000 app:app", "Procfile"},
		{"gunicorn on Flask", files("requirements.txt", "Flask\ngunicorn==23.0\n", "wsgi.py", "import flask\nserver = flask.Flask(__name__)\n"), nil, "gunicorn wsgi:server", "WSGI app wsgi:server found in wsgi.py"},
		{"Django with gunicorn", django, nil, "gunicorn mysite.wsgi:application", "manage.py (settings mysite.settings)"},
		{"uvicorn on FastAPI", files("pyproject.toml", "[project]\nname = \"f\"\ndependencies = [\"fastapi\", \"uvicorn[standard]>=0.30\"]\n", "main.py", "from fastapi import FastAPI\napi: FastAPI = FastAPI()\n"), nil,
			"uvicorn main:api --host 0.0.0.0 --port 5000", "ASGI app main:api found in main.py"},
		{"Django without gunicorn", files("requirements.txt", "django\n", "manage.py", "os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"mysite.settings\")\n"), nil,
			"python manage.py runserver --noreload 0.0.0.0:5000", "Django's development server"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan, err := read(t, c.files, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(plan.Command, " "); got != c.command || !strings.Contains(plan.CommandReason, c.reason) {
				t.Errorf("command %q (%s), want %q (%s)", got, plan.CommandReason, c.command, c.reason)
			}
		})
	}
}

func TestRequiresPythonClauses(t *testing.T) {
	cases := []struct {
		spec  string
		minor string
		want  bool
	}{
		{">=3.11", "3.13", true}, {">=3.14", "3.13", false}, {"<3.13", "3.13", false}, {">=3.8,<4", "3.13", true},
		{"==3.13.*", "3.13", true}, {"==3.12.*", "3.13", false}, {"~=3.11", "3.13", true}, {"~=3.11.2", "3.13", false},
		{">3.13.2", "3.13", true}, {"!=3.13.*", "3.13", false}, {poetryConstraint("^3.11"), "3.13", true}, {poetryConstraint("~3.12"), "3.13", false},
	}
	for _, c := range cases {
		got, err := allowsMinor(c.spec, c.minor)
		if err != nil || got != c.want {
			t.Errorf("allowsMinor(%q, %s) = %t, %v; want %t", c.spec, c.minor, got, err, c.want)
		}
	}
}

// TestPythonJSONMatchesPython checks the poetry content hash's text against Python's own json.dumps.
func TestPythonJSONMatchesPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 to compare json.dumps with")
	}
	doc := map[string]any{"b": []any{int64(1), 2.5, true, nil, "é\"\\\n\t☃𝄞"}, "a": map[string]any{"z": "x", "y": []map[string]any{{"k": "v"}}}, "c": 1.0}
	script := `import json; print(json.dumps({"b": [1, 2.5, True, None, "é\"\\\n\t☃𝄞"], "a": {"z": "x", "y": [{"k": "v"}]}, "c": 1.0}, sort_keys=True), end="")`
	out, err := exec.Command(python, "-c", script).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := pythonJSON(doc); got != string(out) {
		t.Errorf("pythonJSON:\n%s\npython:\n%s", got, out)
	}
	if got := poetryContentHash(mustTOML(t, poetryPyproject)); got != poetryHash {
		t.Errorf("content hash %s, want %s", got, poetryHash)
	}
}

func mustTOML(t *testing.T, text string) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := decodeTOML("pyproject.toml", []byte(text), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}
