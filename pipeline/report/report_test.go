package report

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/multistage/multistage/pipeline/check"
	"github.com/multistage/multistage/pipeline/measure"
	"github.com/multistage/multistage/pipeline/project"
	"github.com/multistage/multistage/pipeline/recipe"
)

// sampleReport has made-up figures: it tests the math and the rendering, not an image.
func sampleReport() *Report {
	r := &Report{SchemaVersion: SchemaVersion, PythonVersion: "3.13", Port: 5000, Probe: project.Probe{Path: "/", Contains: "hi", BodyFrom: "--expect"},
		Project: &project.Plan{Format: project.FormatUV, DecidedBy: "uv.lock", Reason: "uv.lock pins every package (lock files come first); dev groups left out (dev)",
			Pinned: []project.Requirement{{Name: "flask", Version: "3.1.0", Hashes: []string{"sha256:f1"}}}, Packages: 1, Hashed: true,
			PythonVersion: "3.13", PythonSource: ".python-version", Command: []string{"python", "app.py"}, CommandReason: "app.py is the app's script", Port: 5000},
		AppSource: &recipe.AppSource{Rule: ".dockerignore", Patterns: []string{".git", "!keep.txt"}, LeftOutFiles: 12, LeftOutBytes: 3_400_000},
		Images: []ImageReport{
			{Variant: recipe.VariantSingleStage, Description: "one", ExpectedToPass: true,
				Check: check.Result{Passed: true, Status: 200, Body: "hi", Attempts: 1, ReadySeconds: 1.234},
				Sizes: measure.Sizes{UncompressedBytes: 200_000_000, CompressedBytes: 80_000_000, DockerBytes: 195_000_000,
					Parts: measure.Parts{Base: 180_000_000, Dependencies: 12_000_000, Bytecode: 7_990_000, App: 10_000}},
				Layers: []measure.Layer{{Digest: "sha256:a", CompressedBytes: 70_000_000, UncompressedBytes: 180_000_000},
					{Digest: "sha256:b", CompressedBytes: 10_000_000, UncompressedBytes: 20_000_000}}},
			{Variant: recipe.VariantMultiStage, Description: "two", ExpectedToPass: true,
				Check: check.Result{Passed: true, Status: 200, Body: "hi", Attempts: 2, ReadySeconds: 0.5},
				Sizes: measure.Sizes{UncompressedBytes: 150_000_000, CompressedBytes: 60_000_000, DockerBytes: 146_000_000,
					Parts: measure.Parts{Base: 130_000_000, Dependencies: 14_000_000, NativeLibraries: 400_000, Bytecode: 5_590_000, App: 10_000}},
				Layers: []measure.Layer{{Digest: "sha256:c", CompressedBytes: 60_000_000, UncompressedBytes: 150_000_000}},
				NativeLibraries: []recipe.NativeLibrary{{Soname: "libpq.so.5", Path: "/usr/lib/x86_64-linux-gnu/libpq.so.5", Package: "libpq5", Version: "17.6-0+deb13u1",
					Bytes: 345_000, NeededBy: []string{"psycopg2/_psycopg.cpython-313-x86_64-linux-gnu.so"}}},
				Reproducible: &Reproducibility{Layer: 3, Path: "/opt/venv/lib/python3.13/site-packages/stamp.py", Difference: "content"}},
			{Variant: recipe.VariantTutorial, Description: "three | broken", ExpectedToPass: false,
				Check: check.Result{Error: "no good answer within 30s", Logs: []string{"Traceback (most recent call last):",
					`  File "/app/app.py", line 1, in <module>`, "ModuleNotFoundError: No module named 'flask'", "[python app.py exited with code 1]"}},
				Sizes: measure.Sizes{UncompressedBytes: 130_000_000, CompressedBytes: 50_000_000, DockerBytes: 126_000_000,
					Parts: measure.Parts{Base: 129_990_000, App: 10_000}},
				Layers: []measure.Layer{{Digest: "sha256:d", CompressedBytes: 50_000_000, UncompressedBytes: 130_000_000}}},
		}}
	r.Finish()
	return r
}

func TestReportMath(t *testing.T) {
	r := sampleReport()
	if !r.OK {
		t.Fatal("report not OK although only the expected-to-fail check failed")
	}
	if r.Images[0].VersusSingleStage != nil {
		t.Fatal("single-stage compared with itself")
	}
	multi := r.Images[1].VersusSingleStage
	if multi == nil || multi.DeltaBytes != -50_000_000 || math.Abs(multi.Ratio-0.75) > 1e-9 ||
		multi.CompressedDeltaBytes != -20_000_000 || math.Abs(multi.CompressedRatio-0.75) > 1e-9 {
		t.Fatalf("multi-stage comparison wrong: %+v", multi)
	}
	if got := r.Images[2].VersusSingleStage.DeltaBytes; got != -70_000_000 {
		t.Fatalf("tutorial delta %d", got)
	}

	r.Images[1].Check.Passed = false
	r.Finish()
	if r.OK || strings.Join(r.Failures(), ",") != recipe.VariantMultiStage {
		t.Fatalf("a failed multi-stage check must fail the report: ok=%v failures=%v", r.OK, r.Failures())
	}
}

func TestCompareNeedsAMeasuredBase(t *testing.T) {
	if Compare(measure.Sizes{UncompressedBytes: 1, CompressedBytes: 1}, measure.Sizes{}) != nil {
		t.Fatal("compared against an unmeasured base")
	}
}

func TestRenderTable(t *testing.T) {
	out, err := sampleReport().Render(FormatTable)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"VARIANT       CHECK            READY  SIZE      DOCKER SHOWS  COMPRESSED  LAYERS  VS SINGLE-STAGE",
		"single-stage  pass             1.23s  200.0 MB  195.0 MB      80.0 MB     2       -",
		"multi-stage   pass             0.50s  150.0 MB  146.0 MB      60.0 MB     1       -50.0 MB (0.75x)",
		"tutorial      FAIL (expected)  -      130.0 MB  126.0 MB      50.0 MB     1       -70.0 MB (0.65x)",
		"layers (unpacked): 180.0 MB + 20.0 MB",
		"multistage report: Python 3.13, port 5000, check GET /, status 200–399, body containing \"hi\"",
		"native libraries carried: libpq.so.5 (libpq5 17.6-0+deb13u1, 345.0 kB)",
		`answered: 200 "hi"`,
		"why: ModuleNotFoundError: No module named 'flask'",
		"OK: every check expected to pass passed.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestRenderMarkdown(t *testing.T) {
	out, err := sampleReport().Render(FormatMarkdown)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| Variant | Check | Ready | Size | Docker shows | Compressed | Layers | vs single-stage |",
		"| multi-stage | pass | 0.50s | 150.0 MB | 146.0 MB | 60.0 MB | 1 | -50.0 MB (0.75x) |",
		`- **tutorial**: three | broken`,
		`  - check: no good answer within 30s`,
		"  - native libraries carried: libpq.so.5 (libpq5 17.6-0+deb13u1, 345.0 kB)",
		"**OK: every check expected to pass passed.**",
		// The chart of the parts, its legend, and their table for renderers without Mermaid.
		"```mermaid\n---\nconfig:\n",
		"  x-axis [\"single-stage\", \"multi-stage\", \"tutorial\"]\n",
		"  %% base up to app: the whole image\n  bar [200.00, 150.00, 130.00]\n",
		"  %% base\n  bar [180.00, 130.00, 129.99]\n```\n\n🟫 base · 🟦 dependencies · 🟪 native libraries · 🟨 bytecode · 🟩 app\n",
		"| multi-stage | 150.0 MB | 130.0 MB | 14.0 MB | 400.0 kB | 5.6 MB | 10.0 kB |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "```mermaid") > strings.Index(out, "| Variant | Check |") {
		t.Error("the chart is not above the tables")
	}
	table, _ := sampleReport().Render(FormatTable)
	if !strings.Contains(table, "PARTS         BASE      DEPENDENCIES  NATIVE LIBRARIES  BYTECODE  APP\nsingle-stage  180.0 MB  12.0 MB       0 B               8.0 MB    10.0 kB\n") {
		t.Errorf("table lacks the parts:\n%s", table)
	}
}

func TestRenderJSONFieldNames(t *testing.T) {
	out, err := sampleReport().Render(FormatJSON)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		SchemaVersion int  `json:"schemaVersion"`
		OK            bool `json:"ok"`
		Images        []struct {
			Variant        string `json:"variant"`
			ExpectedToPass bool   `json:"expectedToPass"`
			Check          struct {
				Passed bool     `json:"passed"`
				Logs   []string `json:"logs"`
			} `json:"check"`
			Sizes  struct{ UncompressedBytes, CompressedBytes int64 } `json:"sizes"`
			Layers []struct {
				Digest            string
				UncompressedBytes int64
			} `json:"layers"`
			VersusSingleStage *struct {
				DeltaBytes int64
				Ratio      float64
			} `json:"versusSingleStage"`
		} `json:"images"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SchemaVersion != SchemaVersion || !doc.OK || len(doc.Images) != 3 {
		t.Fatalf("top level wrong: %+v", doc)
	}
	multi := doc.Images[1]
	if multi.Variant != "multi-stage" || multi.Sizes.UncompressedBytes != 150_000_000 || multi.Sizes.CompressedBytes != 60_000_000 ||
		multi.Layers[0].Digest != "sha256:c" || multi.VersusSingleStage.DeltaBytes != -50_000_000 || multi.VersusSingleStage.Ratio != 0.75 {
		t.Fatalf("multi-stage wrong: %+v", multi)
	}
	if doc.Images[2].ExpectedToPass || len(doc.Images[2].Check.Logs) != 4 {
		t.Fatalf("tutorial wrong: %+v", doc.Images[2])
	}
	if _, err := sampleReport().Render("yaml"); err == nil || !strings.Contains(err.Error(), "use one of table, json, markdown") {
		t.Fatalf("unknown format accepted: %v", err)
	}
}

func TestFormatBytes(t *testing.T) {
	cases := map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 125_400_000: "125.4 MB", 1_500_000_000: "1.50 GB"}
	for n, want := range cases {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
	if FormatDelta(-3_000_000) != "-3.0 MB" || FormatDelta(3_000_000) != "+3.0 MB" {
		t.Error("FormatDelta sign wrong")
	}
}

func TestKeyLogLine(t *testing.T) {
	if got := keyLogLine([]string{"a", "OSError: [Errno 98] Address in use", "[exited]"}); got != "OSError: [Errno 98] Address in use" {
		t.Fatalf("got %q", got)
	}
	if got := keyLogLine([]string{" * Running on all addresses", "[still running after 5s]", ""}); got != "[still running after 5s]" {
		t.Fatalf("got %q", got)
	}
}

// TestEveryFormatSaysWhatThePlanDecided: the project, Python, start and sent lines in
// the table and the Markdown, and the plan's fields in the JSON.
func TestEveryFormatSaysWhatThePlanDecided(t *testing.T) {
	r := sampleReport()
	wants := []string{
		"project: uv.lock (1 packages pinned, hashes checked): uv.lock pins every package (lock files come first); dev groups left out (dev)",
		"python:  3.13, from .python-version",
		"start:   python app.py (app.py is the app's script), PORT=5000",
		"sent:    the app directory less 12 files (3.4 MB) left out by .dockerignore",
		"reproducible: NO: layer 3 differs first; /opt/venv/lib/python3.13/site-packages/stamp.py differs (content)",
	}
	for _, format := range []string{FormatTable, FormatMarkdown} {
		out, err := r.Render(format)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range wants {
			if !strings.Contains(out, want) {
				t.Errorf("%s report lacks %q:\n%s", format, want, out)
			}
		}
	}
	out, _ := r.JSON()
	var doc struct {
		Project struct {
			Format, DecidedBy, PythonSource string
			Packages                        int
			Command                         []string
			Pinned                          []struct{ Name, Version string }
		} `json:"project"`
		AppSource struct {
			Rule         string
			LeftOutFiles int
		} `json:"appSource"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Project.Format != "uv.lock" || doc.Project.Packages != 1 || doc.Project.PythonSource != ".python-version" ||
		strings.Join(doc.Project.Command, " ") != "python app.py" || len(doc.Project.Pinned) != 1 || doc.Project.Pinned[0].Version != "3.1.0" ||
		doc.AppSource.Rule != ".dockerignore" || doc.AppSource.LeftOutFiles != 12 {
		t.Errorf("JSON project/appSource wrong: %+v", doc)
	}
}
