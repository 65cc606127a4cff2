package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline/failure"
	"github.com/multistage/multistage/pipeline/scripts"
)

// PythonDist is a Python distribution in an image.
type PythonDist struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Path is its *.dist-info directory in the image.
	Path string `json:"path"`
}

// DebianPackage is a Debian package whose files are in an image.
type DebianPackage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Arch    string `json:"arch"`
	// Files and Bytes count what the image carries of it, when it carries only some of
	// its files (minimal, the native libraries multi-stage carries); 0 for a package
	// installed in the image's base.
	Files int   `json:"files,omitempty"`
	Bytes int64 `json:"bytes,omitempty"`
}

// Inventory is what inventory.py read in one image.
type Inventory struct {
	Python []PythonDist    `json:"python"`
	Debian []DebianPackage `json:"debian"`
	// Scan are the files the secret scan reads: the app and what the build made.
	Scan []struct {
		Path string `json:"path"`
		As   string `json:"as"`
		Text string `json:"text"`
	} `json:"scan"`
	OS          OSRelease `json:"os"`
	Interpreter string    `json:"interpreter"`
}

// OSRelease is what /etc/os-release says of a distribution.
type OSRelease struct {
	ID        string `json:"id"`
	VersionID string `json:"versionId"`
}

const inventoryOut = "/tmp/multistage-inventory.json"

// Inventory runs inventory.py in image, as the image's own user with its own Python:
// the engine caches the answer with the image, so a warm run reads it again for free.
func (p *Pipeline) Inventory(ctx context.Context, image *dagger.Container) (*Inventory, error) {
	// scripts/inventory.py reads its Python distributions, its Debian packages and the
	// files the secret scan reads.
	out, err := p.scripts.Mount(image).
		WithExec(scripts.Command([]string{"python", "-I"}, "inventory.py", inventoryOut, appPath)).
		File(inventoryOut).
		Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading what the image holds: %s", failure.Line(err))
	}
	var inv Inventory
	if err := json.Unmarshal([]byte(out), &inv); err != nil {
		return nil, fmt.Errorf("unreadable inventory: %w", err)
	}
	return &inv, nil
}

// carriedPackages names, by dpkg -S in the builder, the Debian packages of every file
// the minimal image's assembled trees hold, with the files' bytes, and the builder's
// distribution (theirs).
func (p *Pipeline) carriedPackages(ctx context.Context, assembled *dagger.Container) ([]DebianPackage, OSRelease, error) {
	// scripts/carried.py names, in the builder, the Debian packages of those files.
	const out = "/tmp/multistage-carried.json"
	data, err := p.scripts.Mount(assembled).
		WithExec(scripts.Command([]string{"python"}, "carried.py", out, minimalRoot+"/base", minimalRoot+"/venv")).
		File(out).
		Contents(ctx)
	if err != nil {
		return nil, OSRelease{}, fmt.Errorf("naming the packages minimal carries: %s", failure.Line(err))
	}
	var answer struct {
		Packages []DebianPackage `json:"packages"`
		OS       OSRelease       `json:"os"`
	}
	if err := json.Unmarshal([]byte(data), &answer); err != nil {
		return nil, OSRelease{}, fmt.Errorf("unreadable answer of carried.py: %w", err)
	}
	return answer.Packages, answer.OS, nil
}

// readInventory reads what image holds and returns its secret scan, its SBOM and
// what the report says of the SBOM.
func (p *Pipeline) readInventory(ctx context.Context, variant Variant, image *dagger.Container) (*SecretScan, *SBOMSummary, []byte, error) {
	inv, err := p.Inventory(ctx, image)
	if err != nil {
		return nil, nil, nil, err
	}
	scan, err := scanSecrets(inv, p.opts.AllowSecrets)
	if err != nil {
		return nil, nil, nil, err
	}
	var carried []DebianPackage
	switch {
	case variant.Name == VariantMinimal:
		var builder OSRelease
		if carried, builder, err = p.carriedPackages(ctx, p.minimalAssembly(p.opts.KeepModules...)); err != nil {
			return scan, nil, nil, err
		}
		if inv.OS.ID == "" {
			inv.OS = builder // no os-release in the image: the packages are the builder's
		}
	case variant.CarriesNative:
		carried = nativePackages(p.carriedLibraries(ctx))
	}
	identity := sha256.Sum256([]byte(fmt.Sprintf("%v %v %v", inv.Python, inv.Debian, carried)))
	doc, err := SBOM(variant.Name, hex.EncodeToString(identity[:]), p.opts.SourceDateEpoch, p.plan, inv, carried)
	if err != nil {
		return scan, nil, nil, err
	}
	summary := &SBOMSummary{CycloneDX: SBOMFile(variant.Name), PythonPackages: len(inv.Python), DebianPackages: len(inv.Debian) + len(carried)}
	return scan, summary, doc, nil
}

// SBOMOf makes the CycloneDX SBOM of the named variant's image.
func (p *Pipeline) SBOMOf(ctx context.Context, name string) ([]byte, error) {
	variant, err := VariantNamed(name)
	if err != nil {
		return nil, err
	}
	image, err := variant.Build(ctx, p)
	if err != nil {
		return nil, err
	}
	_, _, doc, err := p.readInventory(ctx, variant, image)
	return doc, err
}
