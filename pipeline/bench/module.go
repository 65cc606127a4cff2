package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/multistage/multistage/pipeline/recipe"
	"github.com/multistage/multistage/pipeline/report"
)

// Module says how to run the loop users run: `dagger call compare` of this
// repository's module, through the Dagger CLI.
type Module struct {
	CLI  string // the dagger CLI
	Repo string // the repository holding dagger.json
}

// moduleVariants are the variants ways A, B and C compare: the same two.
var moduleVariants = []string{recipe.VariantSingleStage, recipe.VariantMultiStage}

// time runs `dagger call --app APP --wheels W compare --variants V,...` from its
// start to its exit (module load, build, checks, measures, session close), its
// progress output into progress, and reads the sizes from its JSON report.
func (m Module) time(ctx context.Context, app, wheels string, variants []string, progress io.Writer, sizes map[string]int64) (float64, error) {
	var stdout bytes.Buffer
	cmd := m.call(ctx, "--app", app, "--wheels", wheels, "compare", "--variants", strings.Join(variants, ","), "--format", "json")
	cmd.Stdout, cmd.Stderr = &stdout, progress
	start := time.Now()
	err := cmd.Run()
	seconds := time.Since(start).Seconds()
	if err != nil {
		return 0, fmt.Errorf("dagger call compare: %w", err)
	}
	var report report.Report
	out := stdout.String()
	if i := strings.Index(out, "{"); i < 0 || json.Unmarshal([]byte(out[i:]), &report) != nil {
		return 0, fmt.Errorf("dagger call compare printed no JSON report")
	}
	if !report.OK {
		return 0, fmt.Errorf("compare failed: %s", report.Verdict())
	}
	for _, image := range report.Images {
		sizes[image.Variant] = image.Sizes.UncompressedBytes
	}
	return seconds, nil
}

// load makes the module ready, as any earlier call leaves it: its runtime built and
// run once (`dagger call variants`, which builds nothing of the app), and says how
// long that took. A cold run does it before the clock starts, as podman's bases are
// present before its clock: what is timed is the compare of an app the engine has
// never built, not the install of the tool. (`dagger functions` is not enough: it reads
// the module's types from its source; the first call still compiles it.)
func (m Module) load(ctx context.Context) (float64, error) {
	cmd := m.call(ctx, "variants")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	seconds := time.Since(start).Seconds()
	if err != nil {
		return 0, fmt.Errorf("dagger call variants: %v: %s", err, lastLine(string(out)))
	}
	return seconds, nil
}

// call is `dagger call --progress=plain ARGS` in the repository, in a session of its own.
func (m Module) call(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, m.CLI, append([]string{"call", "--progress=plain"}, args...)...)
	cmd.Dir = m.Repo
	cmd.Env = append(WithoutSession(os.Environ()), "DAGGER_NO_NAG=1")
	return cmd
}

// WithoutSession drops the variables through which a client joins a running session
// (`dagger run`'s): a process started with the rest opens a session of its own, as
// each `dagger call` does.
func WithoutSession(env []string) []string {
	var kept []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "DAGGER_SESSION_") {
			kept = append(kept, kv)
		}
	}
	return kept
}
