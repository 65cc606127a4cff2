package project

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mattn/go-shellwords"
)

// chooseCommand picks how the app starts, in the documented order: --command; a
// Procfile's web line; gunicorn on the WSGI app when the dependencies include
// gunicorn, uvicorn on the ASGI app when they include uvicorn (each app found by its
// framework's own rules, discover.go); else python app.py or python main.py.
func (p *Plan) chooseCommand(in Input) error {
	port := strconv.Itoa(in.Port)
	if len(in.Command) > 0 {
		p.Command, p.CommandReason = in.Command, "given with --command"
		return nil
	}
	if in.Files.Has("Procfile") {
		return p.procfileCommand(in.Files["Procfile"], port)
	}
	if p.dependsOn("gunicorn") || p.dependsOn("uvicorn") {
		return p.serverCommand(newAppFiles(in), port)
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

// serverCommand runs gunicorn on the WSGI app (Django's <project>.wsgi, else Flask's
// discovery) when the dependencies include gunicorn; uvicorn on the ASGI app (Django's
// <project>.asgi, else fastapi run's discovery) when they include uvicorn, or when they
// include both and no WSGI app was found (gunicorn is often listed beside uvicorn for
// its workers).
func (p *Plan) serverCommand(a *appFiles, port string) error {
	var wsgiErr error
	if p.dependsOn("gunicorn") {
		f, err := a.wsgiApp()
		if err == nil {
			// gunicorn binds 0.0.0.0:$PORT by itself when PORT is set (every image sets it).
			p.Command = []string{"gunicorn", f.target}
			if f.root != "" {
				p.Command = []string{"gunicorn", "--pythonpath", f.root, f.target}
			}
			p.CommandReason = "the dependencies include gunicorn; " + f.describe("WSGI")
			return nil
		}
		var nf *notFound
		if !errors.As(err, &nf) || !p.dependsOn("uvicorn") {
			return serverError("gunicorn", err)
		}
		wsgiErr = err
	}
	f, err := a.asgiApp()
	if err != nil {
		var nf *notFound
		if wsgiErr != nil && errors.As(err, &nf) {
			return fmt.Errorf("the dependencies include gunicorn and uvicorn but %v, and %v: set FLASK_APP=module:name in .flaskenv, or entrypoint under [tool.fastapi] in pyproject.toml, pass --command, or add a Procfile with a web: line", wsgiErr, err)
		}
		return serverError("uvicorn", err)
	}
	p.Command = []string{"uvicorn", f.target, "--host", "0.0.0.0", "--port", port}
	if f.root != "" {
		p.Command = append(p.Command, "--app-dir", f.root)
	}
	p.CommandReason = "the dependencies include uvicorn; " + f.describe("ASGI")
	if wsgiErr != nil {
		p.CommandReason = "the dependencies include gunicorn and uvicorn, and no WSGI app was found (" + wsgiErr.Error() + "); " + f.describe("ASGI")
	}
	return nil
}

// wsgiApp is Django's <project>.wsgi:application, else the app Flask's discovery finds.
func (a *appFiles) wsgiApp() (found, error) {
	if f, ok := a.djangoApp("wsgi"); ok {
		return f, nil
	}
	return a.flaskApp()
}

// asgiApp is Django's <project>.asgi:application (reached when gunicorn, which serves
// its wsgi first, is not among the dependencies), else the app fastapi run's discovery finds.
func (a *appFiles) asgiApp() (found, error) {
	if f, ok := a.djangoApp("asgi"); ok {
		return f, nil
	}
	return a.fastAPIApp()
}

// describe says what was found, where and by which rule, for the report's start: line.
func (f found) describe(kind string) string {
	from := f.file
	if f.from != "" {
		from += ", named by " + f.from
	}
	return fmt.Sprintf("%s app %s found in %s, %s (%s)", kind, f.target, from, f.what, f.rule)
}

// serverError is the one line said when the rules find no app for the server: what
// was looked for, and how to name the app instead.
func serverError(server string, err error) error {
	var nf *notFound
	if !errors.As(err, &nf) {
		return fmt.Errorf("the dependencies include %s but %v", server, err)
	}
	fix := map[string]string{
		"gunicorn": "set FLASK_APP=module:name in .flaskenv",
		"uvicorn":  `set entrypoint = "module:app" under [tool.fastapi] in pyproject.toml`,
	}[server]
	return fmt.Errorf("the dependencies include %s but %v: %s, pass --command, or add a Procfile with a web: line", server, err, fix)
}
