package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dagger.io/dagger"
)

// installedAt reads when pip wrote Flask into an image: a step that reran writes anew.
func installedAt(t *testing.T, image *dagger.Container, path string) string {
	t.Helper()
	out, err := image.WithExec([]string{"python", "-c", "import os, sys; print(os.stat(sys.argv[1]).st_mtime_ns)", path}).Stdout(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

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

// TestEditingTheAppDoesNotRerunPip: after an app.py edit the install steps are cached
// (Flask's files keep the time they were installed), while a requirements edit reruns them.
func TestEditingTheAppDoesNotRerunPip(t *testing.T) {
	unchanged := func(_, content string) string { return content }
	appEdited := func(name, content string) string {
		if name == "app.py" {
			return content + "\n# edited " + t.Name() + "\n"
		}
		return content
	}
	requirementsEdited := func(name, content string) string {
		if name == "requirements.txt" {
			return content + "# edited " + t.Name() + "\n"
		}
		return content
	}
	venvFlask := "/opt/venv/lib/python3.13/site-packages/flask/__init__.py"
	globalFlask := "/usr/local/lib/python3.13/dist-packages/flask/__init__.py"

	stamps := map[string][2]string{}
	for name, edit := range map[string]func(string, string) string{"base": unchanged, "app edited": appEdited, "requirements edited": requirementsEdited} {
		p := kitPipeline(t, copyApp(t, edit), nil)
		production, err := p.Production(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		stamps[name] = [2]string{installedAt(t, production, venvFlask), installedAt(t, p.SingleStage(), globalFlask)}
	}
	// Each variant on its own: one that reinstalls while the other does not must show.
	for i, variant := range []string{"multi-stage", "single-stage"} {
		if stamps["app edited"][i] != stamps["base"][i] {
			t.Errorf("%s: an app.py edit reinstalled the requirements: %s then %s", variant, stamps["base"][i], stamps["app edited"][i])
		}
		if stamps["requirements edited"][i] == stamps["base"][i] {
			t.Errorf("%s: a requirements edit did not reinstall them (the probe cannot see a rerun): %s", variant, stamps["base"][i])
		}
	}
}
