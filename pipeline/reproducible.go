package pipeline

import (
	"context"
	"strconv"
	"strings"
	"time"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline/failure"
	"github.com/multistage/multistage/pipeline/measure"
	"github.com/multistage/multistage/pipeline/recipe"
	"github.com/multistage/multistage/pipeline/report"
	"github.com/multistage/multistage/pipeline/scripts"
)

// verifyReproducible builds variant a second time with every step run again and
// compares its layers with first's; where they differ, it names the first file that does.
func (p *Pipeline) verifyReproducible(ctx context.Context, variant recipe.Variant, first *dagger.Container, measured measure.Measurement) report.Reproducibility {
	again := p.recipes.Rebuilt(strconv.FormatInt(time.Now().UnixNano(), 10))
	second, err := buildSynced(ctx, again, variant)
	if err != nil {
		return report.Reproducibility{Error: "the second build failed: " + failure.Describe(err)}
	}
	remeasured, err := p.Measure(ctx, second)
	if err != nil {
		return report.Reproducibility{Error: "the second build could not be measured: " + failure.Line(err)}
	}
	layer := firstDifferingLayer(measured.Layers, remeasured.Layers)
	if layer == 0 {
		return report.Reproducibility{Reproducible: true}
	}
	result := report.Reproducibility{Layer: layer}
	out, err := p.scripts.Mount(p.recipes.RuntimeBase()).
		WithMountedDirectory("/tmp/first", first.Rootfs()).
		WithMountedDirectory("/tmp/second", second.Rootfs()).
		WithExec(scripts.Command([]string{"python"}, "tree_diff.py", "/tmp/first", "/tmp/second")).
		Stdout(ctx)
	if err != nil {
		result.Error = "the two builds could not be compared: " + failure.Line(err)
		return result
	}
	for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
		path, what, ok := strings.Cut(line, "\t")
		switch {
		case !ok:
		case i == 0:
			result.Path, result.Difference = path, what
		default:
			result.Also = append(result.Also, path+" ("+what+")")
		}
	}
	return result
}

// firstDifferingLayer is the 1-based index of the first layer whose digest differs
// (or that only one build has), 0 when both builds have the same layers.
func firstDifferingLayer(a, b []measure.Layer) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		if i >= len(a) || i >= len(b) || a[i].Digest != b[i].Digest {
			return i + 1
		}
	}
	return 0
}
