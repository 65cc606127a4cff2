package report

import (
	"strings"
	"testing"

	"github.com/multistage/multistage/pipeline/recipe"
)

// The verdict names every base built from the record, and the text report marks its line.
func TestTheVerdictSaysWhichBaseAnOutageBuiltFromTheRecord(t *testing.T) {
	digest := "sha256:" + strings.Repeat("c", 64)
	r := &Report{OK: true, Bases: []recipe.BaseImage{
		{Role: "builder", Ref: "docker.io/library/python:3.13@sha256:" + strings.Repeat("d", 64)},
		{Role: "runtime", Ref: "python@" + digest, Fallback: "python:3.13-slim: registry unreachable, used the digest resolved before: " + digest},
	}}
	want := "OK: every check expected to pass passed (python:3.13-slim: registry unreachable, used the digest resolved before: " + digest + ")."
	if got := r.Verdict(); got != want {
		t.Errorf("verdict:\n got %s\nwant %s", got, want)
	}
	r.Bases[1].Fallback = ""
	if got := r.Verdict(); got != "OK: every check expected to pass passed." {
		t.Errorf("without an outage the verdict is %q", got)
	}
	if note := fallbackNote(recipe.BaseImage{Fallback: "x"}); !strings.Contains(note, "registry unreachable") {
		t.Errorf("a base built from the record is marked %q", note)
	}
}
