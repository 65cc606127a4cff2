package kit_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multistage/multistage/internal/testenv"
)

// podmanRun runs a shell script in an image podman loaded from a kit tarball, offline.
func podmanRun(t *testing.T, podman, image, script string, mounts ...string) string {
	t.Helper()
	args := append([]string{"run", "--rm", "--network", "none"}, testenv.PodmanRunFlags...)
	for _, m := range mounts {
		args = append(args, "-v", m)
	}
	args = append(args, image, "sh", "-c", script)
	out, err := exec.Command(podman, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("podman run %s: %v\n%s", image, err, out)
	}
	return string(out)
}

func load(t *testing.T, podman, tarball string) string {
	t.Helper()
	out, err := exec.Command(podman, "load", "-i", tarball).CombinedOutput()
	if err != nil {
		t.Fatalf("podman load %s: %v\n%s", tarball, err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	loaded := strings.TrimPrefix(lines[len(lines)-1], "Loaded image: ")
	return strings.TrimPrefix(loaded, "Loaded image(s): ")
}

// TestKitBasesBehaveLikeTheOfficialImages checks with podman what the recipes rely on.
func TestKitBasesBehaveLikeTheOfficialImages(t *testing.T) {
	podman := testenv.Podman(t)
	k := testenv.Kit(t)
	runtime := load(t, podman, k.Runtime)
	builder := load(t, podman, k.Builder)

	probe := `python --version && pip --version >/dev/null && echo pip-ok && ls /etc/ssl/certs/ca-certificates.crt && ` +
		`(ls /usr/lib/python3*/EXTERNALLY-MANAGED 2>/dev/null && echo marker-present || echo no-marker)`
	for _, image := range []string{runtime, builder} {
		out := podmanRun(t, podman, image, probe)
		for _, want := range []string{"Python 3.13", "pip-ok", "ca-certificates.crt", "no-marker"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: %q not in\n%s", image, want, out)
			}
		}
	}
	if out := podmanRun(t, podman, runtime, "command -v gcc || echo no-gcc"); !strings.Contains(out, "no-gcc") {
		t.Errorf("runtime base carries a compiler: %s", out)
	}
}

// TestKitWheelsInstallFlaskOffline installs the sample app's unchanged requirements
// from the kit's wheels into a venv of the builder base, with no network.
func TestKitWheelsInstallFlaskOffline(t *testing.T) {
	podman := testenv.Podman(t)
	k := testenv.Kit(t)
	builder := load(t, podman, k.Builder)
	app := filepath.Join(testenv.RepoRoot(), "sample-app")
	out := podmanRun(t, podman, builder,
		`python -m venv /opt/venv && /opt/venv/bin/pip install --no-index --find-links /wheels -r /app/requirements.txt && `+
			`/opt/venv/bin/python -c "import flask, markupsafe._speedups; print('flask-imported')"`,
		k.Wheels+":/wheels:ro", app+":/app:ro")
	if !strings.Contains(out, "flask-imported") {
		t.Fatalf("flask not importable:\n%s", out)
	}
}
