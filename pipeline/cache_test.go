package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"dagger.io/dagger"
	"github.com/multistage/multistage/internal/testenv"
	"github.com/multistage/multistage/pipeline"
	"github.com/multistage/multistage/pipeline/bench"
	"github.com/multistage/multistage/pipeline/measure"
)

// pipInstalls builds the image build makes of app in a session of its own and says,
// from the engine's progress output, how many pip install steps ran and how many came
// from the cache. (Every installed file carries the source date, so the files cannot
// tell a rerun: the engine's own account can.)
func pipInstalls(t *testing.T, app string, build func(*pipeline.Pipeline) (*dagger.Container, error)) (ran, cached int) {
	t.Helper()
	progress := testenv.OwnSession(t, func(client *dagger.Client) {
		image, err := build(kitPipelineOn(t, client, app, nil))
		if err == nil {
			_, err = image.Sync(context.Background())
		}
		if err != nil {
			t.Fatal(err)
		}
	})
	return bench.PipInstalls(progress)
}

var (
	buildMultiStage = func(p *pipeline.Pipeline) (*dagger.Container, error) {
		return p.Recipes().Production(context.Background())
	}
	buildSingleStage = func(p *pipeline.Pipeline) (*dagger.Container, error) { return p.Recipes().SingleStage(), nil }
)

// copyApp copies the sample app into a fresh directory, applying edit to its files.
func copyApp(t *testing.T, edit func(name, content string) string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"app.py", "requirements.txt"} {
		data, err := os.ReadFile(filepath.Join(sampleApp, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(edit(name, string(data))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestEditingTheAppDoesNotRerunPip: after an app.py edit the install steps come from
// the cache, while a requirements edit runs them again; each variant on its own.
func TestEditingTheAppDoesNotRerunPip(t *testing.T) {
	testenv.Client(t)
	appEdited := func(name, content string) string {
		if name == "app.py" {
			return content + "\n# edited " + t.Name() + "\n"
		}
		return content
	}
	requirementsEdited := func(name, content string) string {
		if name == "requirements.txt" {
			return content + fmt.Sprintf("# edited %d\n", time.Now().UnixNano())
		}
		return content
	}
	for variant, build := range map[string]func(*pipeline.Pipeline) (*dagger.Container, error){"multi-stage": buildMultiStage, "single-stage": buildSingleStage} {
		base := copyApp(t, func(_, content string) string { return content })
		pipInstalls(t, base, build) // the cache holds the base build
		if ran, cached := pipInstalls(t, copyApp(t, appEdited), build); ran != 0 || cached == 0 {
			t.Errorf("%s: after an app.py edit %d pip installs ran (%d from the cache), want none", variant, ran, cached)
		}
		if ran, _ := pipInstalls(t, copyApp(t, requirementsEdited), build); ran == 0 {
			t.Errorf("%s: a requirements edit ran no pip install (the probe cannot see a rerun)", variant)
		}
	}
}

// TestAfterAnEditOnlyTheNewLayerIsRead: measuring an image whose app.py changed
// unpacks only its new layer (the base's listings are kept in the engine), and gives
// the same figures, to the byte, as a reading with nothing kept.
func TestAfterAnEditOnlyTheNewLayerIsRead(t *testing.T) {
	testenv.Client(t)
	ctx := context.Background()
	edited := func(name, content string) string {
		if name == "app.py" {
			return content + fmt.Sprintf("\n# edited %d\n", time.Now().UnixNano())
		}
		return content
	}
	for variant, build := range map[string]func(*pipeline.Pipeline) (*dagger.Container, error){"multi-stage": buildMultiStage, "single-stage": buildSingleStage} {
		measure := func(app string) (measure.Measurement, *pipeline.Pipeline, *dagger.Container) {
			p := kitPipeline(t, app, nil)
			image, err := build(p)
			if err != nil {
				t.Fatal(err)
			}
			m, err := p.Measure(ctx, image)
			if err != nil {
				t.Fatal(err)
			}
			return m, p, image
		}
		// Nothing kept: the variants share layers (the app's), and a base's kept listing would do.
		pipeline.UseOwnMeasureVolume(t)
		before, _, _ := measure(copyApp(t, edited))
		if before.LayersRead != distinctLayers(before.Layers) {
			t.Fatalf("%s: a first reading unpacked %d of %d layers", variant, before.LayersRead, distinctLayers(before.Layers))
		}
		after, p, image := measure(copyApp(t, edited))
		if after.LayersRead != 1 {
			t.Errorf("%s: after an app.py edit the reading unpacked %d layers, want only the app's", variant, after.LayersRead)
		}
		pipeline.UseOwnMeasureVolume(t)
		fresh, err := p.Measure(ctx, image)
		if err != nil {
			t.Fatal(err)
		}
		if fresh.LayersRead != distinctLayers(fresh.Layers) || after.Sizes != fresh.Sizes || !reflect.DeepEqual(after.Layers, fresh.Layers) || !reflect.DeepEqual(after.Contents, fresh.Contents) {
			t.Errorf("%s: with kept listings %+v, read afresh (%d layers unpacked) %+v", variant, after.Sizes, fresh.LayersRead, fresh.Sizes)
		}
	}
}

// TestTheReadingStaysOutOfTheProgressOutput: a reading lists every file of an image
// (megabytes of JSON); none of it reaches the engine's progress output, which a CI
// log keeps. (Dagger streams an exec's stdout there even when it is redirected.)
func TestTheReadingStaysOutOfTheProgressOutput(t *testing.T) {
	var layers int
	progress := testenv.OwnSession(t, func(client *dagger.Client) {
		pipeline.UseOwnMeasureVolume(t) // a reading that runs, not one from the cache
		p := kitPipelineOn(t, client, sampleApp, nil)
		m, err := p.Measure(context.Background(), p.Recipes().SingleStage())
		if err != nil {
			t.Fatal(err)
		}
		layers = m.LayersRead
	})
	if layers == 0 {
		t.Fatal("the reading unpacked no layer: it did not run")
	}
	// A listed file ("n": its path) is in a reading, never in the command that makes one.
	if strings.Contains(progress, `{"n": "etc/`) || len(progress) > 200_000 {
		t.Errorf("the reading reached the progress output (%d bytes of it)", len(progress))
	}
}
