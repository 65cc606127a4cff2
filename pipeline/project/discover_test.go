package project

import (
	"slices"
	"strings"
	"testing"
)

// The shop package of Flask's tutorial shape: an application factory in __init__.py.
const shopInit = `from flask import Flask


def create_app(test_config=None):
    app = Flask(__name__)

    @app.route("/")
    def hello():
        return "Hello"

    return app
`

func TestTheAppIsFoundByItsFrameworksRules(t *testing.T) {
	gunicorn := func(kv ...string) Files {
		return files(append([]string{"requirements.txt", "flask\ngunicorn\n"}, kv...)...)
	}
	uvicorn := func(kv ...string) Files {
		return files(append([]string{"requirements.txt", "fastapi\nuvicorn\n"}, kv...)...)
	}
	cases := []struct {
		name    string
		files   Files
		command string
		reason  []string
	}{
		// Flask: FLASK_APP, else wsgi.py then app.py; app/application, one instance, create_app/make_app.
		{"Flask app variable bound by the factory, in wsgi.py", gunicorn("wsgi.py", "from shop import create_app\n\napp = create_app()\n", "shop/__init__.py", shopInit),
			"gunicorn wsgi:app", []string{"the dependencies include gunicorn; WSGI app wsgi:app found in wsgi.py, its app variable (app = create_app()) (" + flaskRule + ")"}},
		{"Flask factory imported into wsgi.py", gunicorn("wsgi.py", "from shop import create_app\n", "shop/__init__.py", shopInit),
			"gunicorn wsgi:create_app()", []string{"WSGI app wsgi:create_app() found in wsgi.py, the factory create_app() (" + flaskRule + ")"}},
		{"Flask factory imported from outside the app", gunicorn("wsgi.py", "from company.web import make_app\n"),
			"gunicorn wsgi:make_app()", []string{"the factory make_app() (imported from company.web)"}},
		{"Flask factory defined in app.py", gunicorn("app.py", shopInit), "gunicorn app:create_app()", []string{"found in app.py, the factory create_app()"}},
		{"Flask application variable", gunicorn("app.py", "import flask\nweb = flask.Flask(__name__)\napplication = web\n"), "gunicorn app:application", []string{"its application variable (application = web)"}},
		{"wsgi.py comes before app.py", gunicorn("app.py", flaskApp, "wsgi.py", "from app import app\n"), "gunicorn wsgi:app", []string{"found in wsgi.py, its app variable"}},
		{"one Flask instance, any name", gunicorn("wsgi.py", "import flask\nserver = flask.Flask(__name__)\n"), "gunicorn wsgi:server", []string{"WSGI app wsgi:server found in wsgi.py, its one Flask instance server"}},
		{"one Flask instance through an alias", gunicorn("app.py", "from flask import Flask as F\nsite = F(__name__)\n"), "gunicorn app:site", []string{"its one Flask instance site"}},
		{"one Flask instance imported from the app's module", gunicorn("wsgi.py", "from .server import site\n", "wsgi/__init__.py", "from .server import site\n", "wsgi/server.py", "from flask import Flask\nsite = Flask(__name__)\n"),
			"gunicorn wsgi:site", []string{"found in wsgi/__init__.py, its one Flask instance site"}},
		{"an app package (app/__init__.py) is the app module", gunicorn("app/__init__.py", shopInit, "app/views.py", ""), "gunicorn app:create_app()", []string{"found in app/__init__.py, the factory create_app()"}},
		{"a variable named app that is a function is not the app", gunicorn("app.py", "from flask import Flask\ndef app():\n    pass\nsite = Flask(__name__)\n"), "gunicorn app:site", []string{"its one Flask instance site"}},
		{"FLASK_APP module:factory in .flaskenv", gunicorn(".flaskenv", "FLASK_APP=hello:make_app\nFLASK_DEBUG=0\n", "hello.py", strings.ReplaceAll(shopInit, "create_app", "make_app")),
			"gunicorn hello:make_app()", []string{"WSGI app hello:make_app() found in hello.py, named by FLASK_APP=hello:make_app in .flaskenv, the factory make_app() (Flask's --app discovery: FLASK_APP from .env, else .flaskenv, as module[:name]; a function named is called)"}},
		{"FLASK_APP with literal arguments", gunicorn(".flaskenv", `FLASK_APP="hello:make_app('prod', debug=False)"`+"\n", "hello.py", "def make_app(env, debug=True):\n    ...\n"),
			"gunicorn hello:make_app('prod', debug=False)", []string{"the factory make_app('prod', debug=False)"}},
		{"FLASK_APP a package, then find_best_app in it", gunicorn(".flaskenv", "export FLASK_APP=shop # the package\n", "shop/__init__.py", shopInit),
			"gunicorn shop:create_app()", []string{"found in shop/__init__.py, named by FLASK_APP=shop in .flaskenv, the factory create_app()"}},
		{".env's FLASK_APP wins over .flaskenv's", gunicorn(".flaskenv", "FLASK_APP=hello\n", ".env", "FLASK_APP='other:web'\n", "hello.py", flaskApp, "other.py", "from flask import Flask\nweb = Flask(__name__)\n"),
			"gunicorn other:web", []string{"named by FLASK_APP=other:web in .env, its web variable"}},
		{"FLASK_APP a dotted module", gunicorn(".flaskenv", "FLASK_APP=shop.web:app\n", "shop/__init__.py", "", "shop/web.py", flaskApp), "gunicorn shop.web:app", []string{"found in shop/web.py"}},
		{"FLASK_APP a path outside any package", gunicorn(".flaskenv", "FLASK_APP=src/hello.py\n", "src/hello.py", flaskApp), "gunicorn --pythonpath src hello:app", []string{"found in src/hello.py"}},
		{"FLASK_APP a path in a package", gunicorn(".flaskenv", "FLASK_APP=src/shop/__init__.py:create_app\n", "src/shop/__init__.py", shopInit), "gunicorn --pythonpath src shop:create_app()", []string{"found in src/shop/__init__.py"}},
		{"FLASK_APP names a factory imported from the app's package", gunicorn(".flaskenv", "FLASK_APP=wsgi:create_app\n", "wsgi.py", "from shop import create_app\n", "shop/__init__.py", shopInit),
			"gunicorn wsgi:create_app()", []string{"the factory create_app()"}},
		// Django, with gunicorn: <project>.wsgi; with uvicorn alone: <project>.asgi.
		{"Django with gunicorn", files("requirements.txt", "django\ngunicorn\nuvicorn\n", "manage.py", djangoManage("mysite.settings"), "mysite/wsgi.py", "", "mysite/asgi.py", ""),
			"gunicorn mysite.wsgi:application", []string{"WSGI app mysite.wsgi:application found in manage.py (settings mysite.settings), the application of mysite/wsgi.py (Django's startproject layout"}},
		{"Django with uvicorn and no gunicorn", files("requirements.txt", "django\nuvicorn\n", "manage.py", djangoManage("mysite.settings"), "mysite/wsgi.py", "", "mysite/asgi.py", ""),
			"uvicorn mysite.asgi:application --host 0.0.0.0 --port 5000", []string{"the dependencies include uvicorn; ASGI app mysite.asgi:application found in manage.py (settings mysite.settings), the application of mysite/asgi.py"}},
		{"Django settings package", files("requirements.txt", "django\ngunicorn\n", "manage.py", djangoManage("config.settings.production"), "config/wsgi.py", "", "config/settings/production.py", ""),
			"gunicorn config.wsgi:application", []string{"manage.py (settings config.settings.production)"}},
		// FastAPI: fastapi-cli's files, app then api, else the first FastAPI instance by name.
		{"FastAPI app in main.py", uvicorn("main.py", "from fastapi import FastAPI\napp = FastAPI()\n"), "uvicorn main:app --host 0.0.0.0 --port 5000",
			[]string{"the dependencies include uvicorn; ASGI app main:app found in main.py, its app variable (" + fastAPIRule + ")"}},
		{"FastAPI app in a package's app/main.py", uvicorn("app/__init__.py", "", "app/main.py", "from fastapi import FastAPI\napp = FastAPI()\n"), "uvicorn app.main:app --host 0.0.0.0 --port 5000", []string{"found in app/main.py, its app variable"}},
		{"FastAPI app in app/main.py without __init__.py", uvicorn("app/main.py", "import fastapi\napp = fastapi.FastAPI()\n"), "uvicorn main:app --host 0.0.0.0 --port 5000 --app-dir app", []string{"found in app/main.py"}},
		{"main.py comes before app/main.py", uvicorn("main.py", "from fastapi import FastAPI\napi = FastAPI()\n", "app/__init__.py", "", "app/main.py", "from fastapi import FastAPI\napp = FastAPI()\n"),
			"uvicorn main:api --host 0.0.0.0 --port 5000", []string{"its api variable"}},
		{"app before api", uvicorn("api.py", "from fastapi import FastAPI\napi = FastAPI()\napp = FastAPI(title='x')\n"), "uvicorn api:app --host 0.0.0.0 --port 5000", []string{"its app variable"}},
		{"else the first FastAPI instance by name", uvicorn("app.py", "from fastapi import FastAPI\nzeta = FastAPI()\nbeta = FastAPI()\n"), "uvicorn app:beta --host 0.0.0.0 --port 5000", []string{"its FastAPI instance beta"}},
		{"a Starlette app too", files("requirements.txt", "starlette\nuvicorn\n", "main.py", "from starlette.applications import Starlette\nsite = Starlette()\n"),
			"uvicorn main:site --host 0.0.0.0 --port 5000", []string{"its Starlette instance site", "a Starlette app taken too"}},
		{"[tool.fastapi] entrypoint comes first", files("pyproject.toml", "[project]\nname = \"f\"\ndependencies = [\"fastapi\", \"uvicorn\"]\n[tool.fastapi]\nentrypoint = \"backend.server:api\"\n", "main.py", "app = FastAPI()\n"),
			"uvicorn backend.server:api --host 0.0.0.0 --port 5000", []string{"found in pyproject.toml, the entrypoint backend.server:api (fastapi run's configuration"}},
		{"gunicorn and uvicorn, no WSGI app: uvicorn", files("requirements.txt", "fastapi\ngunicorn\nuvicorn\n", "main.py", "from fastapi import FastAPI\napp = FastAPI()\n"),
			"uvicorn main:app --host 0.0.0.0 --port 5000", []string{"the dependencies include gunicorn and uvicorn, and no WSGI app was found (Flask's discovery found no app", "ASGI app main:app found in main.py"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan, err := read(t, c.files)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(plan.Command, " "); got != c.command {
				t.Errorf("command %q, want %q (%s)", got, c.command, plan.CommandReason)
			}
			for _, r := range c.reason {
				if !strings.Contains(plan.CommandReason, r) {
					t.Errorf("reason %q lacks %q", plan.CommandReason, r)
				}
			}
		})
	}
}

func djangoManage(settings string) string {
	return "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"" + settings + "\")\n"
}

func TestNoAppFoundSaysWhatWasLookedForInOneLine(t *testing.T) {
	gunicorn := func(kv ...string) Files {
		return files(append([]string{"requirements.txt", "flask\ngunicorn\n"}, kv...)...)
	}
	cases := []struct {
		name  string
		files Files
		want  string
	}{
		{"gunicorn, neither wsgi.py nor app.py", gunicorn("server.py", flaskApp),
			"the dependencies include gunicorn but Flask's discovery found no app: no FLASK_APP in .env or .flaskenv, and neither wsgi.py nor app.py: set FLASK_APP=module:name in .flaskenv, pass --command, or add a Procfile with a web: line"},
		{"a Flask app in main.py is not Flask's", gunicorn("main.py", flaskApp), "main.py has app = Flask(...), but Flask does not look there: set FLASK_APP=main in .flaskenv"},
		{"wsgi.py without an app stops the search, as in Flask", gunicorn("wsgi.py", "import os\n", "app.py", flaskApp),
			"Flask's discovery found no app in wsgi.py (no app or application variable, no Flask instance, no create_app or make_app): set FLASK_APP=module:name in .flaskenv, pass --command"},
		{"a Flask app only under the __main__ guard", gunicorn("app.py", "from flask import Flask\nif __name__ == '__main__':\n    app = Flask(__name__)\n    app.run()\n"), "found no app in app.py"},
		{"a FastAPI app is not a WSGI app", gunicorn("app.py", "from fastapi import FastAPI\napp = FastAPI()\n"), "found no app in app.py"},
		{"two Flask apps", gunicorn("app.py", "from flask import Flask\nfront = Flask('f')\nback = Flask('b')\n"),
			"the dependencies include gunicorn but app.py has 2 Flask apps (back, front) and no app or application variable, and Flask's discovery takes only one: set FLASK_APP=app:name in .flaskenv, or pass --command"},
		{"a factory that needs arguments", gunicorn("wsgi.py", "def create_app(config):\n    ...\n"),
			"wsgi.py has the factory create_app, which Flask calls without arguments but needs config: set FLASK_APP=wsgi:create_app(...) with literal arguments in .flaskenv, or pass --command"},
		{"FLASK_APP names no module", gunicorn(".flaskenv", "FLASK_APP=hello\n", "app.py", flaskApp),
			"the dependencies include gunicorn but FLASK_APP=hello in .flaskenv: the app directory has no hello.py or hello/__init__.py: fix FLASK_APP, pass --command, or add a Procfile with a web: line"},
		{"FLASK_APP names an unbound name", gunicorn(".flaskenv", "FLASK_APP=hello:web\n", "hello.py", flaskApp),
			"FLASK_APP=hello:web in .flaskenv names web, which hello.py does not bind at module level: fix FLASK_APP"},
		{"FLASK_APP outside the app", gunicorn(".flaskenv", "FLASK_APP=../elsewhere.py\n"), "the module \"../elsewhere.py\" is not inside the app directory"},
		{"uvicorn, none of fastapi-cli's files", files("requirements.txt", "fastapi\nuvicorn\n", "server.py", "app = FastAPI()\n"),
			"the dependencies include uvicorn but fastapi run's discovery found none of main.py, app.py, api.py, app/main.py, app/app.py, app/api.py: set entrypoint = \"module:app\" under [tool.fastapi] in pyproject.toml, pass --command, or add a Procfile with a web: line"},
		{"uvicorn: the first file found decides", files("requirements.txt", "fastapi\nuvicorn\n", "main.py", "print('cli')\n", "app/main.py", "from fastapi import FastAPI\napp = FastAPI()\n"),
			"the dependencies include uvicorn but fastapi run's discovery found no app in main.py (no app or api variable, no FastAPI instance)"},
		{"uvicorn: a Flask app is not an ASGI app", files("requirements.txt", "flask\nuvicorn\n", "app.py", flaskApp), "fastapi run's discovery found no app in app.py"},
		{"gunicorn and uvicorn, neither finds one", files("requirements.txt", "gunicorn\nuvicorn\n", "server.py", "x = 1\n"),
			"the dependencies include gunicorn and uvicorn but Flask's discovery found no app: no FLASK_APP in .env or .flaskenv, and neither wsgi.py nor app.py, and fastapi run's discovery found none of main.py"},
		{"a bad [tool.fastapi] entrypoint", files("pyproject.toml", "[project]\nname = \"f\"\ndependencies = [\"uvicorn\"]\n[tool.fastapi]\nentrypoint = \"main\"\n"),
			`pyproject.toml [tool.fastapi] entrypoint "main" is not module:app`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan, err := read(t, c.files)
			if err == nil {
				t.Fatalf("no error (command %q, %s), want %q", plan.Command, plan.CommandReason, c.want)
			}
			if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line containing %q", err, c.want)
			}
		})
	}
}

func TestMoreWantedFilesAreWhatTheFirstFilesName(t *testing.T) {
	cases := []struct {
		name        string
		read, paths []string // read: path, content pairs; paths: files that exist but are not read
		want        []string
	}{
		{"FLASK_APP's module", []string{".flaskenv", "FLASK_APP=hello:make_app\n"}, []string{"hello.py", "other.py"}, []string{"hello.py"}},
		{"FLASK_APP's package", []string{".env", "FLASK_APP=shop\n"}, []string{"shop/__init__.py", "shop/views.py"}, []string{"shop/__init__.py"}},
		{"the module a factory is imported from", []string{"wsgi.py", "from shop import create_app\n"}, []string{"shop/__init__.py"}, []string{"shop/__init__.py"}},
		{"a relative import in a FastAPI package", []string{"app/__init__.py", "", "app/main.py", "from .api import api as app\n"}, []string{"app/api.py", "app/db.py"}, []string{"app/api.py"}},
		{"nothing more for a plain app", []string{"app.py", flaskApp, "requirements.txt", "flask\n"}, []string{"static/style.css", "helpers.py"}, nil},
		{"all read already", []string{".flaskenv", "FLASK_APP=hello\n", "hello.py", flaskApp}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := Input{Files: files(c.read...), Paths: c.paths}
			for p := range in.Files {
				in.Paths = append(in.Paths, p)
			}
			if got := MoreWantedFiles(in); !slices.Equal(got, c.want) {
				t.Errorf("more wanted %q, want %q", got, c.want)
			}
		})
	}
	for _, f := range []string{".flaskenv", ".env", "wsgi.py", "app/__init__.py", "app/main.py", "api.py", "manage.py"} {
		if !slices.Contains(WantedFiles, f) {
			t.Errorf("WantedFiles lacks %s", f)
		}
	}
}

func TestOnlyFlaskAppIsKeptOfDotEnv(t *testing.T) {
	env := "SECRET_KEY=s3cr3t\n# FLASK_APP=commented\nexport FLASK_APP=shop:create_app()\nDATABASE_URL='postgres://u:p@h/db'\n"
	kept := string(Keep(".env", []byte(env)))
	if kept != "export FLASK_APP=shop:create_app()" {
		t.Errorf("kept %q of .env", kept)
	}
	if v, ok := dotenvValue([]byte(kept), "FLASK_APP"); !ok || v != "shop:create_app()" {
		t.Errorf("FLASK_APP %q (%t)", v, ok)
	}
	if got := string(Keep(".flaskenv", []byte(env))); got != env {
		t.Errorf(".flaskenv is kept whole, got %q", got)
	}
	for _, c := range []struct{ line, want string }{
		{"FLASK_APP=hello # comment", "hello"}, {`FLASK_APP = "a:b(\"x\")"`, `a:b("x")`}, {"FLASK_APP='x#y' # c", "x#y"}, {"FLASK_APP=#", ""},
	} {
		if v, _ := dotenvValue([]byte(c.line), "FLASK_APP"); v != c.want {
			t.Errorf("%s: %q, want %q", c.line, v, c.want)
		}
	}
}
