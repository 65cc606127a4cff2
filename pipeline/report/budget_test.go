package report

import (
	"strings"
	"testing"

	"github.com/multistage/multistage/pipeline/measure"
)

func TestParseSize(t *testing.T) {
	cases := map[string]int64{"150MB": 150_000_000, "35 MB": 35_000_000, "1.5GiB": 1_610_612_736, "512": 512, "10kB": 10_000, "2KiB": 2048}
	for in, want := range cases {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MB", "ten MB", "150TB", "-5MB"} {
		if _, err := ParseSize(bad); err == nil || !strings.Contains(err.Error(), "use a number and a unit") {
			t.Errorf("ParseSize(%q) accepted: %v", bad, err)
		}
	}
}

func TestParseBudgetsRefusesMalformedSpecs(t *testing.T) {
	cases := []struct {
		sizes           []string
		reduction, wast string
		want            string
	}{
		{[]string{"multi-stage"}, "", "", `size budget "multi-stage" is not valid: use VARIANT=SIZE, for example multi-stage=150MB`},
		{[]string{"fat=10MB"}, "", "", `size budget "fat=10MB": unknown variant "fat"`},
		{[]string{"minimal=small"}, "", "", `size budget "minimal=small": size "small" is not valid`},
		{nil, "lots", "", `minimum reduction "lots" is not valid: use a percentage from 0 to 100`},
		{nil, "120", "", `minimum reduction "120" is not valid`},
		{nil, "", "1 bucket", `waste budget: size "1 bucket" is not valid`},
	}
	for _, c := range cases {
		_, err := ParseBudgets(c.sizes, c.reduction, c.wast)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %q %q: want %q, got %v", c.sizes, c.reduction, c.wast, c.want, err)
		}
	}
}

func TestBudgetsThatHoldPass(t *testing.T) {
	r := sampleReport()
	b, err := ParseBudgets([]string{"multi-stage=150MB", "single-stage=200MB"}, "25%", "1kB")
	if err != nil {
		t.Fatal(err)
	}
	r.ApplyBudgets(b)
	if !r.OK || len(r.Budgets) != 3 { // no contents measured in the sample: no waste budgets
		t.Fatalf("ok=%v budgets=%+v", r.OK, r.Budgets)
	}
	if r.Budgets[2].Budget != "min-reduction multi-stage vs single-stage=25%" || r.Budgets[2].Actual != "25.0%" || !r.Budgets[2].Passed {
		t.Errorf("reduction budget: %+v", r.Budgets[2])
	}
}

func TestBrokenBudgetsFailAndSayByHowMuch(t *testing.T) {
	r := sampleReport()
	r.Images[1].Contents = &measure.Contents{WasteBytes: 5_000_000}
	b, err := ParseBudgets([]string{"multi-stage=100MB"}, "30", "1MB")
	if err != nil {
		t.Fatal(err)
	}
	r.ApplyBudgets(b)
	if r.OK {
		t.Fatal("report OK with broken budgets")
	}
	want := []string{
		"max-size multi-stage=100.0 MB: over by 50.0 MB (150.0 MB)",
		"min-reduction multi-stage vs single-stage=30%: short by 5.0 points (25.0%)",
		"max-waste multi-stage=1.0 MB: over by 4.0 MB (5.0 MB)",
	}
	if got := r.BrokenBudgets(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("broken budgets:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	table := r.Table()
	for _, line := range []string{"max-size multi-stage=100.0 MB", "BROKEN: over by 50.0 MB", "FAILED: max-size multi-stage=100.0 MB: over by 50.0 MB"} {
		if !strings.Contains(table, line) {
			t.Errorf("table lacks %q:\n%s", line, table)
		}
	}
	if md := r.Markdown(); !strings.Contains(md, "| max-size multi-stage=100.0 MB | 150.0 MB | BROKEN: over by 50.0 MB |") {
		t.Errorf("markdown lacks the budget row:\n%s", md)
	}
}
