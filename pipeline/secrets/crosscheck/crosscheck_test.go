package crosscheck

import (
	"fmt"
	"slices"
	"testing"

	"github.com/multistage/multistage/pipeline/secrets"
	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
)

// Made-up credentials in the shapes the rules know (none is real).
var corpus = map[string]string{
	"settings.py":   "import os\n\nDEBUG = False\nAWS_ACCESS_KEY_ID = \"AKIAZ7VRSQ5TJRHXLPDE\"\nAWS_REGION = \"eu-west-1\"\n",
	"deploy.sh":     "#!/bin/sh\nexport GITHUB_TOKEN=ghp_R4nd0mT0k3nV4lu3sAr3N0tR34lXyZ12345\n",
	"certs/tls.pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n-----END RSA PRIVATE KEY-----\n",
	"config.py":     "SLACK = 'xoxb-2401356788-2409876543210-AbCdEfGhIjKlMnOpQrStUvWx'\nstripe_key = \"sk_live_4eC39HqLyjWDarjtT1zdp7dc9X\"\n",
	"app.env":       "SECRET_KEY=9f8e7d6c5b4a39281706f5e4d3c2b1a0\nDEBUG=1\n",
	"clean.py":      "from flask import Flask\napp = Flask(__name__)\nPASSWORD_MIN_LENGTH = 12\nAPI_VERSION = 'v1'\n",
	"example.py":    "AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE'\ntoken = 'gitleaks:allow ghp_R4nd0mT0k3nV4lu3sAr3N0tR34lXyZ12345' # gitleaks:allow\n",
}

func ours(t *testing.T) []string {
	t.Helper()
	rules, err := secrets.Parse(secrets.GitleaksConfig)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for path, text := range corpus {
		for _, f := range rules.Scan(path, []byte(text)) {
			got = append(got, fmt.Sprintf("%s:%d %s", f.Path, f.Line, f.RuleID))
		}
	}
	slices.Sort(got)
	return got
}

// TestTheSameFindingsAsGitleaks: on the corpus, this evaluation of gitleaks' rule set
// finds what gitleaks' own detect package finds, file, line and rule.
func TestTheSameFindingsAsGitleaks(t *testing.T) {
	d, err := detect.NewDetectorDefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	d.MaxDecodeDepth = 0
	var want []string
	for path, text := range corpus {
		for _, f := range d.Detect(detect.Fragment{Raw: text, FilePath: path}) {
			want = append(want, fmt.Sprintf("%s:%d %s", f.File, f.StartLine+1, f.RuleID))
		}
	}
	slices.Sort(want)
	got := ours(t)
	if !slices.Equal(got, want) {
		t.Errorf("findings differ from gitleaks':\n ours:     %v\n gitleaks: %v", got, want)
	}
	if len(got) < 5 {
		t.Errorf("the corpus found too little to compare: %v", got)
	}
	t.Logf("%d findings: %v", len(got), got)
}

// TestTheVendoredRulesAreGitleaks: gitleaks.toml is the default configuration of the
// gitleaks release in go.mod, unchanged (update both together).
func TestTheVendoredRulesAreGitleaks(t *testing.T) {
	if secrets.GitleaksConfig != config.DefaultConfig {
		t.Fatal("gitleaks.toml differs from the gitleaks release in go.mod: copy its config/gitleaks.toml")
	}
	rules, err := secrets.Default()
	if err != nil {
		t.Fatal(err)
	}
	if rules.Count() < 200 {
		t.Fatalf("only %d rules", rules.Count())
	}
}
