package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/multistage/multistage/internal/schemas"
	"github.com/multistage/multistage/pipeline/measure"
	"github.com/multistage/multistage/pipeline/recipe"
)

func TestSampleReportMatchesTheSchema(t *testing.T) {
	r := sampleReport()
	r.Bases = []recipe.BaseImage{{Role: "builder", Ref: "python:3.13"}, {Role: "runtime", Ref: "python:3.13-slim"}}
	r.Images[1].Contents = &measure.Contents{User: "10001:10001", Shell: []string{}, Pip: []string{}, Compiler: []string{}, PackageManager: []string{}, SetuidFiles: []string{}, LargestDirs: []measure.DirSize{{Path: "/usr/lib", Bytes: 1}}}
	for i := range r.Images {
		for j := range r.Images[i].Layers {
			r.Images[i].Layers[j].Digest = "sha256:" + strings.Repeat("ab", 32)
		}
	}
	b, _ := ParseBudgets([]string{"minimal=35MB"}, "5", "")
	r.ApplyBudgets(b)
	out, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := schemas.Report([]byte(out)); err != nil {
		t.Fatalf("sample report does not match the schema: %v", err)
	}

	// And the schema does refuse what the report must never be.
	var doc map[string]any
	json.Unmarshal([]byte(out), &doc)
	doc["images"].([]any)[0].(map[string]any)["sizes"] = map[string]any{"uncompressedBytes": -1}
	bad, _ := json.Marshal(doc)
	if err := schemas.Report(bad); err == nil {
		t.Fatal("the schema accepted a negative size without compressedBytes")
	}
}
