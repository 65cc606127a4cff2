package pipeline_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/multistage/multistage/internal/testenv"
	"github.com/multistage/multistage/pipeline/bench"
	"github.com/multistage/multistage/pipeline/export"
	"github.com/multistage/multistage/pipeline/recipe"
)

// TestDockerRunsTheExportsAndShowsTheReportedSize loads every exported variant into a
// real Docker daemon, checks the size `docker images` shows against the report's
// DOCKER SHOWS (to the byte), the config Docker reads (user, port, healthcheck), runs
// the image, asks it for /, and stops it.
func TestDockerRunsTheExportsAndShowsTheReportedSize(t *testing.T) {
	testenv.Client(t) // the images come from the engine
	docker := testenv.Docker(t)
	compared, dir := compareSample(t)
	testenv.HoldHostPort(t, 5000)
	for _, variant := range []string{recipe.VariantSingleStage, recipe.VariantMultiStage, recipe.VariantMinimal} {
		t.Run(variant, func(t *testing.T) {
			reported := image(t, compared, variant)
			docker.Run(t, "load", "-i", filepath.Join(dir, variant+".tar"))
			tag := export.ImageTag(variant)

			size, err := strconv.ParseInt(strings.TrimSpace(docker.Run(t, "image", "inspect", "--format", "{{.Size}}", tag)), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: docker images %d bytes; report DOCKER SHOWS %d, SIZE %d (tar streams, %.1f%% more)", variant, size,
				reported.Sizes.DockerBytes, reported.Sizes.UncompressedBytes, 100*float64(reported.Sizes.UncompressedBytes-size)/float64(size))
			if size != reported.Sizes.DockerBytes {
				t.Errorf("%s: docker images shows %d bytes, the report %d", variant, size, reported.Sizes.DockerBytes)
			}

			var config struct {
				User         string
				ExposedPorts map[string]any
				Healthcheck  *struct{ Test []string }
			}
			if err := json.Unmarshal([]byte(docker.Run(t, "image", "inspect", "--format", "{{json .Config}}", tag)), &config); err != nil {
				t.Fatal(err)
			}
			production := variant != recipe.VariantSingleStage
			wantUser := map[bool]string{true: fmt.Sprintf("%d:%d", recipe.AppUID, recipe.AppUID), false: ""}[production]
			if _, exposed := config.ExposedPorts["5000/tcp"]; !exposed || config.User != wantUser || (config.Healthcheck != nil) != production {
				t.Errorf("%s: docker reads user %q, ports %v, healthcheck %v", variant, config.User, config.ExposedPorts, config.Healthcheck)
			}

			// The host's network: the daemon has no bridge, so the app's port is the host's.
			name := fmt.Sprintf("multistage-docker-%d", time.Now().UnixNano())
			docker.Run(t, "run", "-d", "--name", name, "--network", "host", tag)
			t.Cleanup(func() { docker.Run(t, "rm", "-f", name) })
			if body := getUntil(t, "http://127.0.0.1:5000/", 30*time.Second); body != bench.SampleAppBody {
				t.Fatalf("%s answered %q", variant, body)
			}
			start := time.Now()
			docker.Run(t, "stop", "--time", "10", name)
			took := time.Since(start)
			t.Logf("%s: docker stop took %.2fs", variant, took.Seconds())
			if production && took > 2*time.Second {
				t.Errorf("%s took %.1fs to stop on SIGTERM", variant, took.Seconds())
			}
		})
	}
}
