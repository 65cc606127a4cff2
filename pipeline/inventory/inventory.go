// Package inventory reads what an image holds, in the image itself, and what follows
// from it. In: a built image (and, for minimal, its assembled trees). Out: its Python
// distributions, Debian packages and the files a secret scan reads (Inventory); the
// scan's findings (ScanSecrets, with gitleaks' rules); its CycloneDX SBOM (SBOM).
package inventory

import (
	"context"
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
	// App is the app's directory in the image (Read sets it): the scan names its files
	// as the app does.
	App string `json:"-"`
}

// OSRelease is what /etc/os-release says of a distribution.
type OSRelease struct {
	ID        string `json:"id"`
	VersionID string `json:"versionId"`
}

const inventoryOut = "/tmp/multistage-inventory.json"

// Read runs inventory.py in image, as the image's own user with its own Python:
// the engine caches the answer with the image, so a warm run reads it again for free.
func Read(ctx context.Context, helpers *scripts.Set, image *dagger.Container, appPath string) (*Inventory, error) {
	// scripts/inventory.py reads its Python distributions, its Debian packages and the
	// files the secret scan reads.
	out, err := helpers.Mount(image).
		WithExec(scripts.Command([]string{"python", "-I"}, "inventory.py", inventoryOut, appPath)).
		File(inventoryOut).
		Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading what the image holds: %s", failure.Line(err))
	}
	inv := Inventory{App: appPath}
	if err := json.Unmarshal([]byte(out), &inv); err != nil {
		return nil, fmt.Errorf("unreadable inventory: %w", err)
	}
	return &inv, nil
}

// Carried names, by dpkg -S in the builder, the Debian packages of every file under
// trees (the minimal image's assembled trees, in assembled, a builder), with the
// files' bytes, and the builder's distribution (theirs).
func Carried(ctx context.Context, helpers *scripts.Set, assembled *dagger.Container, trees ...string) ([]DebianPackage, OSRelease, error) {
	// scripts/carried.py names, in the builder, the Debian packages of those files.
	const out = "/tmp/multistage-carried.json"
	data, err := helpers.Mount(assembled).
		WithExec(scripts.Command([]string{"python"}, "carried.py", append([]string{out}, trees...)...)).
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
