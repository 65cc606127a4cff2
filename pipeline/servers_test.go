package pipeline_test

import (
	"context"
	"strings"
	"testing"

	"github.com/multistage/multistage/internal/testenv"
	"github.com/multistage/multistage/pipeline"
	"github.com/multistage/multistage/pipeline/recipe"
	"github.com/multistage/multistage/pipeline/report"
)

// TestTheStartCommandIsChosenAndServes: each test app starts the way production
// does, chosen from the project, and the chosen server answers in single-stage,
// multi-stage and minimal (the check reads the Server header).
func TestTheStartCommandIsChosenAndServes(t *testing.T) {
	testenv.Client(t)
	cases := []struct {
		dir, command, reason, server string
		// path and expect: what the check asks (default / and "Hello from <dir>!").
		path, expect string
	}{
		{"flask-gunicorn-app", "gunicorn app:app", "the dependencies include gunicorn; WSGI app app:app found in app.py", "gunicorn", "", ""},
		{"fastapi-uvicorn-app", "uvicorn main:app --host 0.0.0.0 --port 5000", "the dependencies include uvicorn; ASGI app main:app found in main.py", "uvicorn", "", ""},
		{"django-app", "gunicorn mysite.wsgi:application", "manage.py (settings mysite.settings)", "gunicorn", "", ""},
		{"procfile-app", "gunicorn --workers 2 --bind 0.0.0.0:5000 server:application", "the Procfile's web: line", "gunicorn", "", ""},
		// Found the way each framework finds its app.
		{"flask-factory-app", "gunicorn wsgi:app", "WSGI app wsgi:app found in wsgi.py, its app variable (app = create_app())", "gunicorn", "", ""},
		{"flaskenv-app", "gunicorn hello:make_app()", "FLASK_APP", "gunicorn", "", ""},
		{"fastapi-package-app", "uvicorn app.main:app --host 0.0.0.0 --port 5000", "app/main.py", "uvicorn", "/health", `{"status":"ok"}`},
		{"django-uvicorn-app", "uvicorn mysite.asgi:application --host 0.0.0.0 --port 5000", "mysite.asgi", "uvicorn", "", ""},
	}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			// One at a time: two cores, and each project starts four services.
			p := kitPipeline(t, testdataDir(c.dir), func(o *pipeline.Options) {
				o.Expect, o.CheckPath = "Hello from "+c.dir+"!", c.path
				if c.expect != "" {
					o.Expect = c.expect
				}
				o.Variants = []string{recipe.VariantSingleStage, recipe.VariantMultiStage, recipe.VariantMinimal}
			})
			compared, _ := p.Compare(context.Background())
			plan := compared.Project
			if got := strings.Join(plan.Command, " "); got != c.command || !strings.Contains(plan.CommandReason, c.reason) {
				t.Errorf("start command %q (%s), want %q (%s)", got, plan.CommandReason, c.command, c.reason)
			}
			for _, image := range compared.Images {
				if !image.Check.Passed || !strings.HasPrefix(image.Check.Server, c.server) {
					t.Errorf("%s: passed=%t, served by %q (want %s): %s; logs: %s", image.Variant, image.Check.Passed, image.Check.Server, c.server,
						image.Check.Error+image.Error, strings.Join(image.Check.Logs, " | "))
				}
			}
			if m := imageOf(compared, recipe.VariantMinimal); m != nil && m.Contents != nil && (len(m.Contents.Shell)+len(m.Contents.Pip)+len(m.Contents.Compiler) > 0) {
				t.Errorf("minimal carries tools: shell %v pip %v compiler %v", m.Contents.Shell, m.Contents.Pip, m.Contents.Compiler)
			}
			table, _ := compared.Render(report.FormatTable)
			t.Logf("%s:\n%s", c.dir, table)
		})
	}
}

func imageOf(compared *report.Report, variant string) *report.ImageReport {
	for i := range compared.Images {
		if compared.Images[i].Variant == variant {
			return &compared.Images[i]
		}
	}
	return nil
}
