package inventory

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
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

// SBOM is an image's software bill of materials in CycloneDX 1.6 JSON, written with
// CycloneDX's own Go library (cyclonedx-go): every Python distribution in the image
// (name, version, pkg:pypi purl, the lock's hashes when the plan pinned them), every
// Debian package whose files the image holds (for a package the image carries only
// some files of, how many and their bytes), and the Python interpreter; tag is the
// name the image is exported under. The serial number and time come from the image's
// identity and the source date, so the same image gives the same document.
func SBOM(variant, tag, identity string, sourceDateEpoch int, plan *project.Plan, inv *Inventory, carried []DebianPackage) ([]byte, error) {
	pinned := map[string]project.Requirement{}
	if plan != nil {
		for _, r := range plan.Pinned {
			pinned[normalizeName(r.Name)] = r
		}
	}
	components := []cdx.Component{}
	for _, d := range inv.Python {
		name := normalizeName(d.Name)
		purl := "pkg:pypi/" + purlEscape(name) + "@" + purlEscape(d.Version)
		c := cdx.Component{BOMRef: purl + "#" + d.Path, Type: cdx.ComponentTypeLibrary, Name: d.Name, Version: d.Version, PackageURL: purl,
			Properties: &[]cdx.Property{{Name: "multistage:path", Value: d.Path}}}
		if r, ok := pinned[name]; ok && r.Version == d.Version && len(r.Hashes) > 0 {
			var hashes []cdx.Hash
			for _, h := range r.Hashes {
				if alg, value, _ := strings.Cut(h, ":"); alg == "sha256" {
					hashes = append(hashes, cdx.Hash{Algorithm: cdx.HashAlgoSHA256, Value: value})
				}
			}
			if len(hashes) > 0 {
				c.Hashes = &hashes
				*c.Properties = append(*c.Properties, cdx.Property{Name: "multistage:hashes", Value: "the lock's (" + plan.DecidedBy + "): the artifacts pip accepted for this pin"})
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
		c := cdx.Component{BOMRef: purl, Type: cdx.ComponentTypeLibrary, Name: d.Name, Version: d.Version, PackageURL: purl}
		if d.Files > 0 {
			c.Properties = &[]cdx.Property{{Name: "multistage:carriedFiles", Value: fmt.Sprint(d.Files)}, {Name: "multistage:carriedBytes", Value: fmt.Sprint(d.Bytes)}}
		}
		components = append(components, c)
	}
	if inv.Interpreter != "" {
		// The interpreter itself: the official images build it from source, so neither
		// dpkg nor pip knows it; syft's purl and NVD's CPE for CPython.
		components = append(components, cdx.Component{BOMRef: "pkg:generic/python@" + inv.Interpreter, Type: cdx.ComponentTypeApplication,
			Name: "python", Version: inv.Interpreter, PackageURL: "pkg:generic/python@" + inv.Interpreter,
			CPE: "cpe:2.3:a:python:python:" + inv.Interpreter + ":*:*:*:*:*:*:*"})
	}
	sort.SliceStable(components, func(i, j int) bool { return components[i].BOMRef < components[j].BOMRef })

	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:" + uuid.NewSHA1(uuid.NameSpaceURL, []byte("multistage:"+variant+":"+identity)).String()
	bom.Metadata = &cdx.Metadata{
		Timestamp: time.Unix(int64(sourceDateEpoch), 0).UTC().Format(time.RFC3339),
		Tools:     &cdx.ToolsChoice{Components: &[]cdx.Component{{Type: cdx.ComponentTypeApplication, Name: "multistage"}}},
		Component: &cdx.Component{BOMRef: "image", Type: cdx.ComponentTypeContainer, Name: tag,
			Properties: &[]cdx.Property{{Name: "multistage:variant", Value: variant}}},
	}
	bom.Components = &components
	var out bytes.Buffer
	// Pretty, and '&' in a purl's qualifiers written as is.
	if err := cdx.NewBOMEncoder(&out, cdx.BOMFileFormatJSON).SetPretty(true).SetEscapeHTML(false).EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return nil, fmt.Errorf("writing the SBOM of %s: %w", variant, err)
	}
	return out.Bytes(), nil
}
