package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline/export"
	"github.com/multistage/multistage/pipeline/inventory"
	"github.com/multistage/multistage/pipeline/recipe"
	"github.com/multistage/multistage/pipeline/scripts"
)

// readInventory reads what image holds and returns its secret scan, its SBOM and
// what the report says of the SBOM.
func (p *Pipeline) readInventory(ctx context.Context, variant recipe.Variant, image *dagger.Container) (*inventory.SecretScan, *inventory.SBOMSummary, []byte, error) {
	inv, err := inventory.Read(ctx, p.scripts, image, recipe.AppPath)
	if err != nil {
		return nil, nil, nil, err
	}
	scan, err := inventory.ScanSecrets(inv, p.opts.AllowSecrets)
	if err != nil {
		return nil, nil, nil, err
	}
	var carried []inventory.DebianPackage
	switch {
	case variant.Name == recipe.VariantMinimal:
		var builder inventory.OSRelease
		if carried, builder, err = minimalCarried(ctx, p.scripts, p.recipes); err != nil {
			return scan, nil, nil, err
		}
		if inv.OS.ID == "" {
			inv.OS = builder // no os-release in the image: the packages are the builder's
		}
	case variant.CarriesNative:
		carried = nativePackages(p.recipes.CarriedLibraries(ctx))
	}
	identity := sha256.Sum256([]byte(fmt.Sprintf("%v %v %v", inv.Python, inv.Debian, carried)))
	doc, err := inventory.SBOM(variant.Name, export.ImageTag(variant.Name), hex.EncodeToString(identity[:]), p.opts.SourceDateEpoch, p.recipes.Plan(), inv, carried)
	if err != nil {
		return scan, nil, nil, err
	}
	summary := &inventory.SBOMSummary{CycloneDX: inventory.SBOMFile(variant.Name), PythonPackages: len(inv.Python), DebianPackages: len(inv.Debian) + len(carried)}
	return scan, summary, doc, nil
}

// SBOMOf makes the CycloneDX SBOM of the named variant's image.
func (p *Pipeline) SBOMOf(ctx context.Context, name string) ([]byte, error) {
	defer p.recipes.Recorded()
	variant, err := recipe.VariantNamed(name)
	if err != nil {
		return nil, err
	}
	image, err := variant.Build(ctx, p.recipes)
	if err != nil {
		return nil, err
	}
	_, _, doc, err := p.readInventory(ctx, variant, image)
	return doc, err
}

// nativePackages are the Debian packages of the native libraries an image carries
// beyond its base, as SBOM components carried in part.
func nativePackages(libs []recipe.NativeLibrary) []inventory.DebianPackage {
	var out []inventory.DebianPackage
	index := map[string]int{}
	for _, l := range libs {
		if l.Package == "" {
			continue
		}
		i, ok := index[l.Package]
		if !ok {
			i = len(out)
			index[l.Package] = i
			out = append(out, inventory.DebianPackage{Name: l.Package, Version: l.Version})
		}
		out[i].Files++
		out[i].Bytes += l.Bytes
	}
	return out
}

// minimalCarried names the Debian packages the minimal image carries files of, from
// its trees as the builder assembled them.
func minimalCarried(ctx context.Context, helpers *scripts.Set, recipes *recipe.Recipes) ([]inventory.DebianPackage, inventory.OSRelease, error) {
	assembled, base, venv := recipes.MinimalTrees()
	return inventory.Carried(ctx, helpers, assembled, base, venv)
}
