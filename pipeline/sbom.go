package pipeline

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/multistage/multistage/pipeline/project"
)

// SBOMSummary is what the report says of an image's software bill of materials.
type SBOMSummary struct {
	// CycloneDX is the file export writes beside the image's tarball.
	CycloneDX string `json:"cycloneDX"`
	// PythonPackages and DebianPackages count the components listed.
	PythonPackages int `json:"pythonPackages"`
	DebianPackages int `json:"debianPackages"`
}

// SBOMFile names the CycloneDX file of a variant in an export.
func SBOMFile(variant string) string { return variant + ".cdx.json" }

// pep503 normalizes a Python project name, as package URLs and indexes spell it.
var pep503 = regexp.MustCompile(`[-_.]+`)

func normalizeName(name string) string { return strings.ToLower(pep503.ReplaceAllString(name, "-")) }

// purlEscape percent-encodes a package URL's name or version ('+' too, as the purl
// specification asks: Debian versions carry it).
func purlEscape(s string) string { return strings.ReplaceAll(url.PathEscape(s), "+", "%2B") }

// SBOM is an image's software bill of materials in CycloneDX 1.6 JSON: every Python
// distribution in the image (name, version, pkg:pypi purl, the lock's hashes when the
// plan pinned them) and every Debian package whose files the image holds (for a
// package the image carries only some files of, how many and their bytes). The
// serial number and time come from the image's identity and the source date, so the
// same image gives the same document.
func SBOM(variant, identity string, sourceDateEpoch int, plan *project.Plan, inv *Inventory, carried []DebianPackage) ([]byte, error) {
	bom := cdxBOM{Schema: "http://cyclonedx.org/schema/bom-1.6.schema.json", BOMFormat: "CycloneDX", SpecVersion: "1.6", Version: 1,
		SerialNumber: "urn:uuid:" + uuid.NewSHA1(uuid.NameSpaceURL, []byte("multistage:"+variant+":"+identity)).String()}
	pinned := map[string]project.Requirement{}
	if plan != nil {
		for _, r := range plan.Pinned {
			pinned[normalizeName(r.Name)] = r
		}
	}
	bom.Metadata.Timestamp = time.Unix(int64(sourceDateEpoch), 0).UTC().Format(time.RFC3339)
	bom.Metadata.Tools.Components = []cdxComponent{{Type: "application", Name: "multistage"}}
	bom.Metadata.Component = cdxComponent{BOMRef: "image", Type: "container", Name: ImageTag(variant),
		Properties: []cdxProperty{{Name: "multistage:variant", Value: variant}}}
	components := []cdxComponent{}
	for _, d := range inv.Python {
		name := normalizeName(d.Name)
		purl := "pkg:pypi/" + purlEscape(name) + "@" + purlEscape(d.Version)
		c := cdxComponent{BOMRef: purl + "#" + d.Path, Type: "library", Name: d.Name, Version: d.Version, PackageURL: purl,
			Properties: []cdxProperty{{Name: "multistage:path", Value: d.Path}}}
		if r, ok := pinned[name]; ok && r.Version == d.Version && len(r.Hashes) > 0 {
			for _, h := range r.Hashes {
				alg, value, _ := strings.Cut(h, ":")
				if alg == "sha256" {
					c.Hashes = append(c.Hashes, cdxHash{Alg: "SHA-256", Content: value})
				}
			}
			if len(c.Hashes) > 0 {
				c.Properties = append(c.Properties, cdxProperty{Name: "multistage:hashes", Value: "the lock's (" + plan.DecidedBy + "): the artifacts pip accepted for this pin"})
			}
		}
		components = append(components, c)
	}
	debian := append(append([]DebianPackage{}, inv.Debian...), carried...)
	distro := inv.OS.ID
	if distro == "" {
		distro = "debian"
	}
	seen := map[string]bool{}
	for _, d := range debian {
		if seen[d.Name] {
			continue
		}
		seen[d.Name] = true
		purl := fmt.Sprintf("pkg:deb/%s/%s@%s", distro, purlEscape(d.Name), purlEscape(d.Version))
		var qualifiers []string
		if d.Arch != "" {
			qualifiers = append(qualifiers, "arch="+d.Arch)
		}
		if inv.OS.VersionID != "" {
			qualifiers = append(qualifiers, "distro="+distro+"-"+inv.OS.VersionID)
		}
		if len(qualifiers) > 0 {
			purl += "?" + strings.Join(qualifiers, "&")
		}
		c := cdxComponent{BOMRef: purl, Type: "library", Name: d.Name, Version: d.Version, PackageURL: purl}
		if d.Files > 0 {
			c.Properties = []cdxProperty{{Name: "multistage:carriedFiles", Value: fmt.Sprint(d.Files)}, {Name: "multistage:carriedBytes", Value: fmt.Sprint(d.Bytes)}}
		}
		components = append(components, c)
	}
	sort.SliceStable(components, func(i, j int) bool { return components[i].BOMRef < components[j].BOMRef })
	bom.Components = components
	out, err := json.MarshalIndent(bom, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("writing the SBOM of %s: %w", variant, err)
	}
	return append(out, '\n'), nil
}

// The part of CycloneDX 1.6 an image's SBOM uses (field names as the specification's
// JSON schema has them; a test validates every document against that schema).
type cdxBOM struct {
	Schema       string `json:"$schema"`
	BOMFormat    string `json:"bomFormat"`
	SpecVersion  string `json:"specVersion"`
	SerialNumber string `json:"serialNumber"`
	Version      int    `json:"version"`
	Metadata     struct {
		Timestamp string `json:"timestamp"`
		Tools     struct {
			Components []cdxComponent `json:"components"`
		} `json:"tools"`
		Component cdxComponent `json:"component"`
	} `json:"metadata"`
	Components []cdxComponent `json:"components"`
}

type cdxComponent struct {
	BOMRef     string        `json:"bom-ref,omitempty"`
	Type       string        `json:"type"`
	Name       string        `json:"name"`
	Version    string        `json:"version,omitempty"`
	Hashes     []cdxHash     `json:"hashes,omitempty"`
	PackageURL string        `json:"purl,omitempty"`
	Properties []cdxProperty `json:"properties,omitempty"`
}

type cdxHash struct {
	Alg     string `json:"alg"`
	Content string `json:"content"`
}

type cdxProperty struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// nativePackages are the Debian packages of the native libraries an image carries
// beyond its base, as SBOM components carried in part.
func nativePackages(libs []NativeLibrary) []DebianPackage {
	var out []DebianPackage
	index := map[string]int{}
	for _, l := range libs {
		if l.Package == "" {
			continue
		}
		i, ok := index[l.Package]
		if !ok {
			i = len(out)
			index[l.Package] = i
			out = append(out, DebianPackage{Name: l.Package, Version: l.Version})
		}
		out[i].Files++
		out[i].Bytes += l.Bytes
	}
	return out
}
