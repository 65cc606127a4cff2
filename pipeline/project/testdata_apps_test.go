package project

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// readAppDir reads an app directory as pipeline/recipe/app.go does: every path, the wanted
// files, then the files they name, round after round (three at most), each through Keep.
func readAppDir(t *testing.T, dir string) (Input, int) {
	t.Helper()
	in := Input{Files: Files{}, DefaultPythonVersion: "3.13", Port: 5000}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			in.Paths = append(in.Paths, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	readFiles := func(names []string) {
		for _, name := range names {
			if slices.Contains(in.Paths, name) {
				data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
				if err != nil {
					t.Fatal(err)
				}
				in.Files[name] = Keep(name, data)
			}
		}
	}
	readFiles(WantedFiles)
	rounds := 0
	for ; rounds < 3; rounds++ {
		more := MoreWantedFiles(in)
		if len(more) == 0 {
			break
		}
		readFiles(more)
	}
	return in, rounds
}

// TestTheTestAppsStartAsTheirFrameworksFindThem: the test apps under testdata/ (which
// the engine tests build and probe) are planned as their frameworks would start them.
func TestTheTestAppsStartAsTheirFrameworksFindThem(t *testing.T) {
	cases := []struct {
		dir, command, reason string
		rounds               int
	}{
		{"flask-factory-app", "gunicorn wsgi:app", "WSGI app wsgi:app found in wsgi.py, its app variable (app = create_app()) (Flask's --app discovery: wsgi.py, then app.py", 0},
		{"flaskenv-app", "gunicorn hello:make_app()", "WSGI app hello:make_app() found in hello.py, named by FLASK_APP=hello:make_app in .flaskenv, the factory make_app()", 1},
		{"fastapi-package-app", "uvicorn app.main:app --host 0.0.0.0 --port 5000", "ASGI app app.main:app found in app/main.py, its app variable (fastapi run's discovery", 0},
		{"django-uvicorn-app", "uvicorn mysite.asgi:application --host 0.0.0.0 --port 5000", "ASGI app mysite.asgi:application found in manage.py (settings mysite.settings), the application of mysite/asgi.py", 0},
		{"django-app", "gunicorn mysite.wsgi:application", "manage.py (settings mysite.settings)", 0},
		{"flask-gunicorn-app", "gunicorn app:app", "the dependencies include gunicorn; WSGI app app:app found in app.py", 0},
		{"fastapi-uvicorn-app", "uvicorn main:app --host 0.0.0.0 --port 5000", "the dependencies include uvicorn; ASGI app main:app found in main.py", 0},
	}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			in, rounds := readAppDir(t, filepath.Join("..", "..", "testdata", c.dir))
			plan, err := Read(in)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(plan.Command, " "); got != c.command || !strings.Contains(plan.CommandReason, c.reason) {
				t.Errorf("command %q (%s), want %q (%s)", got, plan.CommandReason, c.command, c.reason)
			}
			if rounds != c.rounds {
				t.Errorf("%d further rounds of reading, want %d", rounds, c.rounds)
			}
		})
	}
}
