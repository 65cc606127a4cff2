package pipeline

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multistage/multistage/pipeline/inventory"
	"github.com/multistage/multistage/pipeline/project"
	"github.com/multistage/multistage/pipeline/recipe"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// validateCycloneDX checks an SBOM against the vendored CycloneDX 1.6 schema.
func validateCycloneDX(t *testing.T, doc []byte) {
	t.Helper()
	compiler := jsonschema.NewCompiler()
	for _, name := range []string{"bom-1.6.SNAPSHOT.schema.json", "spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json"} {
		f, err := os.Open(filepath.Join("testdata", "cyclonedx", name))
		if err != nil {
			t.Fatal(err)
		}
		schema, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := compiler.AddResource("http://cyclonedx.org/schema/"+name, schema); err != nil {
			t.Fatal(err)
		}
	}
	schema, err := compiler.Compile("http://cyclonedx.org/schema/bom-1.6.SNAPSHOT.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Fatalf("the SBOM is not valid CycloneDX 1.6: %v", err)
	}
}

// ValidateCycloneDX is validateCycloneDX for the engine tests (package pipeline_test).
var ValidateCycloneDX = validateCycloneDX

func fakeInventory() *inventory.Inventory {
	inv := &inventory.Inventory{
		Python: []inventory.PythonDist{{Name: "Flask", Version: "3.1.1", Path: "/opt/venv/lib/python3.13/site-packages/flask-3.1.1.dist-info"},
			{Name: "MarkupSafe", Version: "3.0.2", Path: "/opt/venv/lib/python3.13/site-packages/markupsafe-3.0.2.dist-info"}},
		Debian:      []inventory.DebianPackage{{Name: "libc6", Version: "2.41-12", Arch: "amd64"}},
		Interpreter: "3.13.5",
		App:         "/app",
	}
	inv.OS.ID, inv.OS.VersionID = "debian", "13"
	return inv
}

func TestTheSBOMIsValidCycloneDXWithPurlsAndTheLocksHashes(t *testing.T) {
	plan := &project.Plan{DecidedBy: "uv.lock", Pinned: []project.Requirement{{Name: "flask", Version: "3.1.1", Hashes: []string{"sha256:" + strings.Repeat("ab", 32)}}}}
	carried := []inventory.DebianPackage{{Name: "libpq5", Version: "17.6-0+deb13u1", Arch: "amd64", Files: 1, Bytes: 345_000}}
	doc, err := inventory.SBOM(recipe.VariantMinimal, ImageTag(recipe.VariantMinimal), "x", 0, plan, fakeInventory(), carried)
	if err != nil {
		t.Fatal(err)
	}
	validateCycloneDX(t, doc)
	var bom struct {
		SpecVersion string `json:"specVersion"`
		Components  []struct {
			Name, Version, Purl string
			Hashes              []struct{ Alg, Content string }
			Properties          []struct{ Name, Value string }
		}
	}
	if err := json.Unmarshal(doc, &bom); err != nil {
		t.Fatal(err)
	}
	purls := map[string]int{}
	for i, c := range bom.Components {
		purls[c.Purl] = i
	}
	flask, ok := purls["pkg:pypi/flask@3.1.1"]
	if bom.SpecVersion != "1.6" || !ok || len(bom.Components[flask].Hashes) != 1 || bom.Components[flask].Hashes[0].Alg != "SHA-256" {
		t.Fatalf("flask without its purl or the lock's hash: %s", doc)
	}
	if _, ok := purls["pkg:pypi/markupsafe@3.0.2"]; !ok {
		t.Errorf("markupsafe's purl is not normalized: %v", purls)
	}
	libpq, ok := purls["pkg:deb/debian/libpq5@17.6-0%2Bdeb13u1?arch=amd64&distro=debian-13"]
	if !ok || !strings.Contains(string(doc), `"multistage:carriedBytes"`) || bom.Components[libpq].Properties[1].Value != "345000" {
		t.Errorf("libpq5 not listed as carried, with its bytes: %v\n%s", purls, doc)
	}
	if _, ok := purls["pkg:deb/debian/libc6@2.41-12?arch=amd64&distro=debian-13"]; !ok {
		t.Errorf("libc6 missing: %v", purls)
	}
	if python, ok := purls["pkg:generic/python@3.13.5"]; !ok || bom.Components[python].Version != "3.13.5" {
		t.Errorf("the interpreter is not listed: %v", purls)
	}
	again, _ := inventory.SBOM(recipe.VariantMinimal, ImageTag(recipe.VariantMinimal), "x", 0, plan, fakeInventory(), carried)
	if !bytes.Equal(doc, again) {
		t.Error("the same image gave two different SBOMs")
	}
}

// TestSecretsFailTheVerdictUnlessAccepted: a finding fails the report and the verdict
// names it, masked; --allow-secret on its file passes.
func TestSecretsFailTheVerdictUnlessAccepted(t *testing.T) {
	inv := fakeInventory()
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
		r.finish()
		table, _ := r.Render(FormatTable)
		if strings.Contains(table, "Z7VRSQ5TJRHXLPDE") {
			t.Fatalf("the report shows the secret:\n%s", table)
		}
		if allowed == nil {
			want := "FAILED: secret in settings.py:2 (aws-access-token) in single-stage, multi-stage, tutorial, accept it with --allow-secret settings.py."
			if r.OK || r.Verdict() != want || !strings.Contains(table, "secret: settings.py:2 aws-access-token AKIA**************** (fails the verdict") ||
				!strings.Contains(table, "1 FOUND") {
				t.Errorf("a secret did not fail the verdict:\n%s\nverdict: %s", table, r.Verdict())
			}
		} else if !r.OK || !strings.Contains(table, "1 accepted") || r.Verdict() != "OK: every check expected to pass passed, and the one secret found was accepted with --allow-secret." {
			t.Errorf("an accepted secret failed:\n%s", table)
		}
		out, _ := r.JSON()
		if err := ValidateReportJSON([]byte(out)); err != nil {
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
