// Package export writes a comparison out: each image as a tarball that docker load
// and podman load take, its SBOM beside it, and the report in every format. In: a
// report and the built images. Out: files in a directory, each written under a
// temporary name and renamed into place, dated with the source date.
package export

import (
	"context"
	"time"

	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"dagger.io/dagger"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/multistage/multistage/internal/atomicfile"
	"github.com/multistage/multistage/pipeline/inventory"
	"github.com/multistage/multistage/pipeline/measure"
	"github.com/multistage/multistage/pipeline/recipe"
	"github.com/multistage/multistage/pipeline/report"
)

// ImageTag is the name an exported variant loads under: `docker load -i multi-stage.tar`
// gives multistage/multi-stage:latest.
func ImageTag(variant string) string { return "multistage/" + variant + ":latest" }

// ReportFiles names the report files of an export, by format.
var ReportFiles = map[string]string{report.FormatJSON: "report.json", report.FormatMarkdown: "report.md", report.FormatTable: "report.txt", report.FormatHTML: "report.html"}

// ExportFiles lists the file names an export of these images writes.
func ExportFiles(built []Built) []string {
	var names []string
	for _, b := range built {
		if b.Image != nil {
			names = append(names, b.Variant.Name+".tar")
		}
		if b.SBOM != nil {
			names = append(names, inventory.SBOMFile(b.Variant.Name))
		}
	}
	for _, format := range report.Formats {
		names = append(names, ReportFiles[format])
	}
	return names
}

// WriteExport writes each built image as a tagged docker-format tarball (which docker
// load and podman load both take) and the report in every format into dir. Each file
// is written under a temporary name and renamed into place, so a reader never sees a
// torn file. Existing files are refused unless force.
func WriteExport(ctx context.Context, r *report.Report, built []Built, dir string, force bool) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("export directory %s cannot be created: %w", dir, err)
	}
	if !force {
		for _, file := range ExportFiles(built) {
			if _, err := os.Stat(filepath.Join(dir, file)); err == nil {
				return nil, fmt.Errorf("export directory %s already holds %s: remove it or pass --force", dir, file)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("export directory %s: %w", dir, err)
			}
		}
	}
	var written []string
	for _, b := range built {
		if b.Image == nil {
			continue
		}
		path, err := WriteImage(ctx, b.Variant.Name, b.Image, dir, true, r.SourceDateEpoch)
		if err != nil {
			return written, err
		}
		written = append(written, path)
		if b.SBOM != nil {
			// The image's SBOM, beside its tarball.
			path := filepath.Join(dir, inventory.SBOMFile(b.Variant.Name))
			if err := atomicfile.Write(path, func(tmp string) error { return os.WriteFile(tmp, b.SBOM, 0o644) }); err != nil {
				return written, err
			}
			written = append(written, path)
		}
	}
	for _, format := range report.Formats {
		text, err := r.Render(format)
		if err != nil {
			return written, err
		}
		path := filepath.Join(dir, ReportFiles[format])
		if err := atomicfile.Write(path, func(tmp string) error { return os.WriteFile(tmp, []byte(text), 0o644) }); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}

// WriteImage writes image as dir/<variant>.tar, tagged ImageTag(variant): the
// engine's tarball is exported beside it, then rewritten with the tag and renamed
// into place. An existing file is refused unless force.
func WriteImage(ctx context.Context, variant string, image *dagger.Container, dir string, force bool, sourceDateEpoch int) (string, error) {
	path := filepath.Join(dir, variant+".tar")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("export directory %s cannot be created: %w", dir, err)
	}
	if _, err := os.Stat(path); err == nil && !force {
		return "", fmt.Errorf("export directory %s already holds %s.tar: remove it or pass --force", dir, variant)
	}
	return path, writeImage(ctx, variant, image, path, sourceDateEpoch)
}

func writeImage(ctx context.Context, variant string, image *dagger.Container, path string, sourceDateEpoch int) error {
	raw, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".engine-*")
	if err != nil {
		return fmt.Errorf("export directory %s is not writable: %w", filepath.Dir(path), err)
	}
	raw.Close()
	defer os.Remove(raw.Name())
	if _, err := measure.ImageTarball(image).Export(ctx, raw.Name()); err != nil {
		return fmt.Errorf("exporting %s: %w", variant, err)
	}
	loaded, err := tarball.ImageFromPath(raw.Name(), nil)
	if err != nil {
		return fmt.Errorf("reading the %s tarball: %w", variant, err)
	}
	if loaded, err = withSourceDate(loaded, sourceDateEpoch); err != nil {
		return fmt.Errorf("dating the %s image: %w", variant, err)
	}
	tag, err := name.NewTag(ImageTag(variant))
	if err != nil {
		return err
	}
	return atomicfile.Write(path, func(tmp string) error { return tarball.WriteToFile(tmp, tag, loaded) })
}

// RemoveTemporaryFiles removes what an interrupted export left in dir: the engine's
// tarballs and the partial files, by the names this package gives them. Call it once
// the Dagger client is closed: until then the engine's session may still be writing.
func RemoveTemporaryFiles(dir string) {
	for _, pattern := range []string{".*.engine-*", ".*.partial-*"} {
		matches, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, m := range matches {
			os.Remove(m)
		}
	}
}

// withSourceDate dates an exported image's config with the source date: the engine
// writes the time of the export into `created` and into every history entry (Dagger
// has no option for it), which alone would give every export a new config digest.
// The layers are left as they are.
func withSourceDate(image v1.Image, sourceDateEpoch int) (v1.Image, error) {
	file, err := image.ConfigFile()
	if err != nil {
		return nil, err
	}
	file = file.DeepCopy()
	date := v1.Time{Time: time.Unix(int64(sourceDateEpoch), 0).UTC()}
	file.Created = date
	for i := range file.History {
		file.History[i].Created = date
	}
	return mutate.ConfigFile(image, file)
}

// Built is a variant's image, kept after Compare so a caller can export it.
type Built struct {
	Variant recipe.Variant
	Image   *dagger.Container
	// SBOM is the image's CycloneDX document (nil when it could not be read).
	SBOM []byte
}
