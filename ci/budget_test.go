package main

import (
	"strings"
	"testing"

	"github.com/multistage/multistage/internal/testenv"
)

// TestBrokenBudgetExitsOneNamingVariantAndExcess runs the CLI on the offline kit with
// a budget the multi-stage image cannot keep, and one it keeps.
func TestBrokenBudgetExitsOneNamingVariantAndExcess(t *testing.T) {
	testenv.Client(t) // skips without an engine
	k := testenv.Kit(t)
	base := "compare --variants single-stage,multi-stage --builder-base " + k.Builder + " --runtime-base " + k.Runtime + " --wheels " + k.Wheels

	code, stderr := cli(t, nil, base+" --max-size multi-stage=1MB --max-size single-stage=1GB")
	last := lastLines(strings.TrimSpace(stderr), 1)
	if code != exitFailed || !strings.Contains(last, "FAILED: max-size multi-stage=1.0 MB: over by ") {
		t.Fatalf("exit %d, last line %q", code, last)
	}
	if strings.Contains(last, "single-stage") {
		t.Fatalf("a kept budget is reported broken: %q", last)
	}

	if code, stderr := cli(t, nil, base+" --max-size multi-stage=1GB --min-reduction 1"); code != 0 {
		t.Fatalf("budgets that hold: exit %d\n%s", code, lastLines(strings.TrimSpace(stderr), 8))
	}
}
