package pipeline_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/multistage/multistage/internal/testenv"
	"github.com/multistage/multistage/pipeline"
	"github.com/multistage/multistage/pipeline/export"
	"github.com/multistage/multistage/pipeline/recipe"
	"github.com/multistage/multistage/pipeline/report"
)

// healthAPI is an API in the shape most have: no /, a JSON /health, and a /broken
// that fails. Python's own http.server: every variant can run it.
var healthAPI = map[string]string{"requirements.txt": "", "app.py": `import http.server, json
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        status, body = {"/health": (200, {"status": "ok", "version": 2}), "/broken": (500, {"error": "boom"})}.get(self.path, (404, {"detail": "Not Found"}))
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(status); self.send_header("Content-Type", "application/json"); self.end_headers(); self.wfile.write(data)
http.server.HTTPServer(("0.0.0.0", 5000), Handler).serve_forever()
`}

var productionAndSingle = []string{recipe.VariantSingleStage, recipe.VariantMultiStage, recipe.VariantMinimal}

// The check is a probe: a path, 200–399 unless pinned, and an optional body match.
func TestTheCheckProbesThePathTheAppServes(t *testing.T) {
	app := appDir(t, healthAPI)
	cases := []struct {
		name   string
		change func(*pipeline.Options)
		pass   bool
		error  string
	}{
		{"no / and nothing asked: the status of / fails", nil, false, `GET / answered 404 "{\"detail\":\"Not Found\"}", want status 200–399`},
		{"the API's own path, judged by status alone", func(o *pipeline.Options) { o.CheckPath = "/health" }, true, ""},
		{"a JSON body contains the expected text", func(o *pipeline.Options) { o.CheckPath, o.Expect = "/health", `"status":"ok"` }, true, ""},
		{"a regular expression", func(o *pipeline.Options) { o.CheckPath, o.ExpectRegex = "/health", `"version":\d+` }, true, ""},
		{"a 500 fails with its status", func(o *pipeline.Options) { o.CheckPath = "/broken" }, false, `GET /broken answered 500 "{\"error\":\"boom\"}", want status 200–399`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := kitPipeline(t, app, func(o *pipeline.Options) {
				o.Variants, o.CheckTimeout = productionAndSingle, 20*time.Second
				if c.change != nil {
					c.change(o)
				}
			})
			compared, _ := p.Compare(context.Background())
			for _, img := range compared.Images {
				if img.Check.Passed != c.pass || !strings.Contains(img.Check.Error, c.error) {
					t.Errorf("%s: want passed=%v, error containing %q; got %+v", img.Variant, c.pass, c.error, img.Check)
				}
				if c.pass && (img.Check.Status != 200 || !strings.Contains(img.Check.Body, `"status":"ok"`)) {
					t.Errorf("%s: the report does not say what answered: %+v", img.Variant, img.Check)
				}
			}
			if table, _ := compared.Render(report.FormatTable); !strings.Contains(table, "check "+compared.Probe.Describe()) {
				t.Errorf("the report does not say what was asked:\n%s", table)
			}
		})
	}
}

// Docker's own health status of the exported multi-stage image: its HEALTHCHECK asks
// the probe's path, so an API without / goes healthy.
func TestTheHealthcheckAsksTheProbesPathInDocker(t *testing.T) {
	testenv.Client(t)
	docker := testenv.Docker(t)
	p := kitPipeline(t, appDir(t, healthAPI), func(o *pipeline.Options) {
		o.Variants, o.CheckPath = []string{recipe.VariantMultiStage}, "/health"
	})
	ctx := context.Background()
	compared, built := p.Compare(ctx)
	if !compared.OK {
		t.Fatalf("the check failed: %+v", compared.Images[0].Check)
	}
	dir := t.TempDir()
	if _, err := export.WriteExport(ctx, compared, built, dir, false); err != nil {
		t.Fatal(err)
	}
	testenv.HoldHostPort(t, 5000)
	docker.Run(t, "load", "-i", filepath.Join(dir, recipe.VariantMultiStage+".tar"))
	name := fmt.Sprintf("multistage-health-%d", time.Now().UnixNano())
	docker.Run(t, "run", "-d", "--name", name, "--network", "host", export.ImageTag(recipe.VariantMultiStage))
	t.Cleanup(func() { docker.Run(t, "rm", "-f", name) })
	status := ""
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		status = strings.TrimSpace(docker.Run(t, "inspect", "--format", "{{.State.Health.Status}}", name))
		if status == "healthy" || status == "unhealthy" {
			break
		}
	}
	if status != "healthy" {
		t.Fatalf("Docker says %q of the image whose check passed at /health", status)
	}
}
