package report

import (
	"strings"
	"testing"

	"github.com/multistage/multistage/internal/schemas"
	"github.com/multistage/multistage/pipeline/inventory"
	"github.com/multistage/multistage/pipeline/recipe"
)

// TestSecretsFailTheVerdictUnlessAccepted: a finding fails the report and the verdict
// names it, masked; --allow-secrets on its file passes.
func TestSecretsFailTheVerdictUnlessAccepted(t *testing.T) {
	inv := &inventory.Inventory{App: "/app"}
	inv.Scan = append(inv.Scan, struct {
		Path string `json:"path"`
		As   string `json:"as"`
		Text string `json:"text"`
	}{"/app/settings.py", "settings.py", "DEBUG = False\nAWS_ACCESS_KEY_ID = \"AKIAZ7VRSQ5TJRHXLPDE\"\n"})
	for _, allowed := range [][]string{nil, {"settings.py"}} {
		scan, err := inventory.ScanSecrets(inv, allowed)
		if err != nil {
			t.Fatal(err)
		}
		r := sampleReport()
		r.Bases, r.Budgets = []recipe.BaseImage{{Role: "runtime", Ref: "python:3.13-slim"}}, []BudgetResult{}
		for i := range r.Images {
			r.Images[i].Secrets = scan
			for j := range r.Images[i].Layers {
				r.Images[i].Layers[j].Digest = "sha256:" + strings.Repeat("ab", 32)
			}
		}
		r.Finish()
		table, _ := r.Render(FormatTable)
		if strings.Contains(table, "Z7VRSQ5TJRHXLPDE") {
			t.Fatalf("the report shows the secret:\n%s", table)
		}
		if allowed == nil {
			want := "FAILED: secret in settings.py:2 (aws-access-token) in single-stage, multi-stage, tutorial, accept it with --allow-secrets settings.py."
			if r.OK || r.Verdict() != want || !strings.Contains(table, "secret: settings.py:2 aws-access-token AKIA**************** (fails the verdict") ||
				!strings.Contains(table, "1 FOUND") {
				t.Errorf("a secret did not fail the verdict:\n%s\nverdict: %s", table, r.Verdict())
			}
		} else if !r.OK || !strings.Contains(table, "1 accepted") || r.Verdict() != "OK: every check expected to pass passed, and the one secret found was accepted with --allow-secrets." {
			t.Errorf("an accepted secret failed:\n%s", table)
		}
		out, _ := r.JSON()
		if err := schemas.Report([]byte(out)); err != nil {
			t.Errorf("the report with secrets does not match the schema: %v", err)
		}
	}
}

// TestTheOKVerdictSaysWhatHeld: checks, budgets and the secret scan, in one sentence.
func TestTheOKVerdictSaysWhatHeld(t *testing.T) {
	clean := &inventory.SecretScan{Files: 3, Findings: []inventory.SecretFinding{}}
	cases := []struct {
		budgets []BudgetResult
		scan    *inventory.SecretScan
		want    string
	}{
		{nil, nil, "OK: every check expected to pass passed."},
		{[]BudgetResult{{Passed: true}}, nil, "OK: every check expected to pass passed, and every budget held."},
		{nil, clean, "OK: every check expected to pass passed, and no secret was found."},
		{[]BudgetResult{{Passed: true}}, clean, "OK: every check expected to pass passed, every budget held, and no secret was found."},
	}
	for _, c := range cases {
		r := &Report{OK: true, Budgets: c.budgets, Images: []ImageReport{{Variant: recipe.VariantMultiStage, Secrets: c.scan}}}
		if got := r.Verdict(); got != c.want {
			t.Errorf("verdict %q, want %q", got, c.want)
		}
	}
}
