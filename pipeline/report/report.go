// Package report puts the variants side by side and renders them, with no engine.
// In: what each step measured (the checks' results, the measurements, the inventories,
// how the images were made) and the budgets asked for. Out: a Report, its verdict, and
// its renderings: a table, Markdown with a Mermaid chart, JSON (report.schema.json)
// and a self-contained HTML page.
package report

import (
	"github.com/multistage/multistage/pipeline/check"
	"github.com/multistage/multistage/pipeline/inventory"
	"github.com/multistage/multistage/pipeline/measure"
	"github.com/multistage/multistage/pipeline/project"
	"github.com/multistage/multistage/pipeline/recipe"
)

// SchemaVersion changes only when a JSON field changes meaning or goes away.
// 2: the project plan (project) and what the app directory left out (appSource).
// 3: the probe (path, statuses, body match) replaces expectedBody.
// 4: ok is false too when an image carries a secret no --allow-secrets accepts.
const SchemaVersion = 4

// Report compares the variants of one app. Every figure in it was measured.
type Report struct {
	SchemaVersion int    `json:"schemaVersion"`
	PythonVersion string `json:"pythonVersion"`
	Port          int    `json:"port"`
	// Probe is what every check asked, and what counted as a good answer.
	Probe project.Probe `json:"probe"`
	// SourceDateEpoch is the time every file the pipeline wrote carries, and the
	// exported images' creation time.
	SourceDateEpoch int `json:"sourceDateEpoch"`
	// Project is the plan every recipe followed: what was installed, with which
	// Python, and how the app starts.
	Project *project.Plan `json:"project"`
	// AppSource says what of the app directory was left out, and by which rule.
	AppSource *recipe.AppSource `json:"appSource"`
	// Bases are the base images used, with their digests.
	Bases []recipe.BaseImage `json:"bases"`
	// Images are in the order the variants were built; single-stage first.
	Images []ImageReport `json:"images"`
	// Budgets are the size budgets checked, if any were given.
	Budgets []BudgetResult `json:"budgets"`
	// OK is true when every check expected to pass passed, every budget held, and no
	// image carries a secret that --allow-secrets does not accept.
	OK bool `json:"ok"`
}

// ImageReport is one variant's image: how it was made, what it weighs, whether it serves.
type ImageReport struct {
	Variant        string          `json:"variant"`
	Description    string          `json:"description"`
	ExpectedToPass bool            `json:"expectedToPass"`
	Check          check.Result    `json:"check"`
	Sizes          measure.Sizes   `json:"sizes"`
	Layers         []measure.Layer `json:"layers"`
	// NativeLibraries are the shared libraries the image carries because the venv's
	// compiled code links them (or they were named) and the runtime base lacks them.
	NativeLibraries []recipe.NativeLibrary `json:"nativeLibraries,omitempty"`
	// Contents is what the image carries (absent when it could not be measured).
	Contents *measure.Contents `json:"contents,omitempty"`
	// Secrets is what the secret scan found in the app and in what the build made
	// (absent when the image could not be read).
	Secrets *inventory.SecretScan `json:"secrets,omitempty"`
	// SBOM says where the image's software bill of materials is and what it lists.
	SBOM *inventory.SBOMSummary `json:"sbom,omitempty"`
	// Reproducible says whether a second build gave the same layers (--verify-reproducible).
	Reproducible *Reproducibility `json:"reproducible,omitempty"`
	// VersusSingleStage compares with the single-stage image; absent for single-stage itself.
	VersusSingleStage *Comparison `json:"versusSingleStage,omitempty"`
	// Error says why the image could not be built or measured (then sizes are zero).
	Error string `json:"error,omitempty"`
}

// Comparison of one image's uncompressed size with the single-stage image's.
type Comparison struct {
	// DeltaBytes is this image minus single-stage: negative when smaller.
	DeltaBytes int64 `json:"deltaBytes"`
	// Ratio is this image divided by single-stage.
	Ratio float64 `json:"ratio"`
	// CompressedDeltaBytes and CompressedRatio are the same for the gzip sizes.
	CompressedDeltaBytes int64   `json:"compressedDeltaBytes"`
	CompressedRatio      float64 `json:"compressedRatio"`
}

// Compare computes the comparison of image against base; nil when base was not measured.
func Compare(image, base measure.Sizes) *Comparison {
	if base.UncompressedBytes == 0 || base.CompressedBytes == 0 {
		return nil
	}
	return &Comparison{
		DeltaBytes:           image.UncompressedBytes - base.UncompressedBytes,
		Ratio:                float64(image.UncompressedBytes) / float64(base.UncompressedBytes),
		CompressedDeltaBytes: image.CompressedBytes - base.CompressedBytes,
		CompressedRatio:      float64(image.CompressedBytes) / float64(base.CompressedBytes),
	}
}

// Finish fills the comparisons and the verdict once every image is in.
func (r *Report) Finish() {
	var base *ImageReport
	for i := range r.Images {
		if r.Images[i].Variant == recipe.VariantSingleStage && r.Images[i].Error == "" {
			base = &r.Images[i]
		}
	}
	r.OK = true
	for i := range r.Images {
		image := &r.Images[i]
		if base != nil && image != base && image.Error == "" {
			image.VersusSingleStage = Compare(image.Sizes, base.Sizes)
		}
		if image.ExpectedToPass && !image.Check.Passed {
			r.OK = false
		}
		if image.Secrets.Unaccepted() > 0 {
			r.OK = false
		}
	}
}

// Failures lists the variants expected to pass that did not.
func (r *Report) Failures() []string {
	var failed []string
	for _, image := range r.Images {
		if image.ExpectedToPass && !image.Check.Passed {
			failed = append(failed, image.Variant)
		}
	}
	return failed
}

// Reproducibility is what a second build of an image, every step run again instead
// of coming from the engine's cache, says about it.
type Reproducibility struct {
	// Reproducible is true when the second build gave the same layers, byte for byte.
	Reproducible bool `json:"reproducible"`
	// Layer (1-based) is the first layer that differs, Path the first file that
	// differs between the two builds and Difference what differs about it.
	Layer      int    `json:"layer,omitempty"`
	Path       string `json:"path,omitempty"`
	Difference string `json:"difference,omitempty"`
	// Also are the next files that differ (a few), since the first is often a
	// record of another (a dist-info RECORD holds the hashes of its files).
	Also []string `json:"also,omitempty"`
	// Error says why the second build could not be made or read.
	Error string `json:"error,omitempty"`
}
