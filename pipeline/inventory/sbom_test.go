package inventory

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/multistage/multistage/internal/schemas"
	"github.com/multistage/multistage/pipeline/project"
)

// validateCycloneDX checks an SBOM against the vendored CycloneDX 1.6 schema.
func validateCycloneDX(t *testing.T, doc []byte) {
	t.Helper()
	if err := schemas.CycloneDX(doc); err != nil {
		t.Fatalf("the SBOM: %v", err)
	}
}

func fakeInventory() *Inventory {
	inv := &Inventory{
		Python: []PythonDist{{Name: "Flask", Version: "3.1.1", Path: "/opt/venv/lib/python3.13/site-packages/flask-3.1.1.dist-info"},
			{Name: "MarkupSafe", Version: "3.0.2", Path: "/opt/venv/lib/python3.13/site-packages/markupsafe-3.0.2.dist-info"}},
		Debian:      []DebianPackage{{Name: "libc6", Version: "2.41-12", Arch: "amd64"}},
		Interpreter: "3.13.5",
		App:         "/app",
	}
	inv.OS.ID, inv.OS.VersionID = "debian", "13"
	return inv
}

func TestTheSBOMIsValidCycloneDXWithPurlsAndTheLocksHashes(t *testing.T) {
	plan := &project.Plan{DecidedBy: "uv.lock", Pinned: []project.Requirement{{Name: "flask", Version: "3.1.1", Hashes: []string{"sha256:" + strings.Repeat("ab", 32)}}}}
	carried := []DebianPackage{{Name: "libpq5", Version: "17.6-0+deb13u1", Arch: "amd64", Files: 1, Bytes: 345_000}}
	doc, err := SBOM("minimal", "multistage/minimal:latest", "x", 0, plan, fakeInventory(), carried)
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
	again, _ := SBOM("minimal", "multistage/minimal:latest", "x", 0, plan, fakeInventory(), carried)
	if !bytes.Equal(doc, again) {
		t.Error("the same image gave two different SBOMs")
	}
}
