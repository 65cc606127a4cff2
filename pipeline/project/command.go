package project

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/mattn/go-shellwords"
)

// The files a module-level app object is looked for in, in order.
var appFiles = []string{"app.py", "main.py", "wsgi.py", "asgi.py"}

var (
	wsgiObject     = regexp.MustCompile(`(?m)^([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=\n]*)?=\s*(?:flask\.)?Flask\(|^(application)\s*=\s*get_wsgi_application\(`)
	asgiObject     = regexp.MustCompile(`(?m)^([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=\n]*)?=\s*(?:fastapi\.|starlette\.applications\.)?(?:FastAPI|Starlette)\(|^(application)\s*=\s*get_asgi_application\(`)
	djangoSettings = regexp.MustCompile(`DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([A-Za-z0-9_.]+)\.settings['"]`)
)

// chooseCommand picks how the app starts, in the documented order: --command; a
// Procfile's web line; gunicorn on the WSGI app when the dependencies include
// gunicorn (Django's project.wsgi first); uvicorn on the ASGI app when they include
// uvicorn; else python app.py or python main.py.
func (p *Plan) chooseCommand(in Input) error {
	port := strconv.Itoa(in.Port)
	if len(in.Command) > 0 {
		p.Command, p.CommandReason = in.Command, "given with --command"
		return nil
	}
	if in.Files.Has("Procfile") {
		return p.procfileCommand(in.Files["Procfile"], port)
	}
	if p.dependsOn("gunicorn") {
		target, from, err := wsgiTarget(in)
		if err != nil {
			return err
		}
		// gunicorn binds 0.0.0.0:$PORT by itself when PORT is set (every image sets it).
		p.Command, p.CommandReason = []string{"gunicorn", target}, "the dependencies include gunicorn; WSGI app "+target+" found in "+from
		return nil
	}
	if p.dependsOn("uvicorn") {
		target, from, err := asgiTarget(in)
		if err != nil {
			return err
		}
		p.Command = []string{"uvicorn", target, "--host", "0.0.0.0", "--port", port}
		p.CommandReason = "the dependencies include uvicorn; ASGI app " + target + " found in " + from
		return nil
	}
	for _, script := range []string{"app.py", "main.py"} {
		if in.Files.Has(script) {
			p.Command, p.CommandReason = []string{"python", script}, script+" is the app's script; no Procfile, and neither gunicorn nor uvicorn among the dependencies"
			return nil
		}
	}
	if in.Files.Has("manage.py") {
		p.Command = []string{"python", "manage.py", "runserver", "--noreload", "0.0.0.0:" + port}
		p.CommandReason = "manage.py is a Django project's; no gunicorn among the dependencies, so Django's development server"
		return nil
	}
	return fmt.Errorf("app directory has no app.py: add it, or pass --command with the app's start command (or add a Procfile with a web: line)")
}

// procfileCommand reads the Procfile's web process. A shell would expand $PORT;
// images run the command in exec form (the minimal one has no shell), so $PORT is
// put in here, as the port every image sets PORT to.
func (p *Plan) procfileCommand(data []byte, port string) error {
	for _, line := range strings.Split(string(data), "\n") {
		name, command, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) != "web" {
			continue
		}
		parser := shellwords.NewParser()
		parser.ParseEnv = true
		parser.Getenv = func(key string) string {
			if key == "PORT" {
				return port
			}
			return ""
		}
		words, err := parser.Parse(strings.TrimSpace(command))
		if err != nil || len(words) == 0 {
			return fmt.Errorf("Procfile's web line %q cannot be split into a command (%v): write it as plain words, or pass --command", strings.TrimSpace(command), err)
		}
		p.Command, p.CommandReason = words, "the Procfile's web: line"
		return nil
	}
	return fmt.Errorf("Procfile has no web: line: add one (web: gunicorn app:app), or pass --command")
}

// dependsOn says whether the project's requirements name a package.
func (p *Plan) dependsOn(name string) bool {
	if len(p.Pinned) > 0 {
		return slices.ContainsFunc(p.Pinned, func(r Requirement) bool { return r.Name == name })
	}
	for _, line := range strings.Split(p.Requirements, "\n") {
		line = strings.TrimSpace(strings.SplitN(line, "#", 2)[0])
		if d, ok := parseRequirement(line); ok && !strings.HasPrefix(line, "-") && d.Name == name {
			return true
		}
	}
	return false
}

// wsgiTarget finds the WSGI app gunicorn serves: Django's <project>.wsgi:application
// from manage.py's settings module, else a module-level Flask(...) app.
func wsgiTarget(in Input) (target, from string, err error) {
	if m := djangoSettings.FindSubmatch(in.Files["manage.py"]); m != nil {
		module := string(m[1])
		if slices.Contains(in.Paths, strings.ReplaceAll(module, ".", "/")+"/wsgi.py") {
			return module + ".wsgi:application", "manage.py (settings " + module + ".settings)", nil
		}
	}
	return findObject(in, wsgiObject, "WSGI", "gunicorn", "app = Flask(__name__)")
}

// asgiTarget finds the ASGI app uvicorn serves: a module-level FastAPI(...) or Starlette(...).
func asgiTarget(in Input) (target, from string, err error) {
	return findObject(in, asgiObject, "ASGI", "uvicorn", "app = FastAPI()")
}

func findObject(in Input, pattern *regexp.Regexp, kind, server, example string) (string, string, error) {
	for _, file := range appFiles {
		m := pattern.FindSubmatch(in.Files[file])
		if m == nil {
			continue
		}
		name := string(m[1])
		if name == "" {
			name = string(m[2])
		}
		module := strings.TrimSuffix(file, ".py")
		return module + ":" + name, file, nil
	}
	return "", "", fmt.Errorf("the dependencies include %s but no %s app was found at module level in %s (like %s): pass --command, or add a Procfile with a web: line",
		server, kind, strings.Join(appFiles, ", "), example)
}
