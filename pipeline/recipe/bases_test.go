package recipe

import (
	"strings"
	"testing"
)

func TestCompareBases(t *testing.T) {
	same := PythonInfo{Version: "3.13", Interpreter: "/usr/local/bin/python3.13"}
	if err := compareBases(same, same); err != nil {
		t.Fatalf("same bases refused: %v", err)
	}
	err := compareBases(same, PythonInfo{Version: "3.12", Interpreter: "/usr/local/bin/python3.12"})
	if err == nil || !strings.Contains(err.Error(), "Python 3.13 but runtime base has Python 3.12") {
		t.Fatalf("want both versions named, got %v", err)
	}
	err = compareBases(same, PythonInfo{Version: "3.13", Interpreter: "/usr/bin/python3.13"})
	if err == nil || !strings.Contains(err.Error(), "/usr/local/bin/python3.13") || !strings.Contains(err.Error(), "/usr/bin/python3.13") {
		t.Fatalf("want both interpreter paths named, got %v", err)
	}
}

func TestParsePythonInfo(t *testing.T) {
	info, err := parsePythonInfo("3.13\n/usr/bin/python3.13\n")
	if err != nil || info.Version != "3.13" || info.Interpreter != "/usr/bin/python3.13" {
		t.Fatalf("got %+v, %v", info, err)
	}
	if _, err := parsePythonInfo("Python 3.13\n"); err == nil {
		t.Fatal("a one-line answer was accepted")
	}
}

func TestVariantNamed(t *testing.T) {
	for _, name := range []string{"single-stage", "multi-stage", "minimal", "tutorial"} {
		if v, err := VariantNamed(name); err != nil || v.Name != name {
			t.Fatalf("%s: got %+v, %v", name, v, err)
		}
	}
	_, err := VariantNamed("fat")
	if err == nil || !strings.Contains(err.Error(), `unknown variant "fat": use one of [minimal multi-stage single-stage tutorial]`) {
		t.Fatalf("got %v", err)
	}
}
