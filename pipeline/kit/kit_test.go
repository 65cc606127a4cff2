package kit_test

import (
	"os"
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
	if out := podmanRun(t, podman, runtime, "command -v gcc || echo no-gcc; ls /usr/include/libpq-fe.h /usr/include/yaml.h 2>/dev/null || echo no-headers"); !strings.Contains(out, "no-gcc") || !strings.Contains(out, "no-headers") {
		t.Errorf("runtime base carries a compiler or -dev headers: %s", out)
	}
	// The builder is buildpack-deps': a compiler and the -dev libraries C extensions build against.
	out := podmanRun(t, podman, builder, `set -e; gcc --version | head -1; g++ --version >/dev/null; make --version >/dev/null; `+
		`for lib in libpq yaml-0.1 libxml-2.0 libxslt libffi openssl zlib libjpeg libpng sqlite3 mysqlclient libcurl glib-2.0; do `+
		`printf "%s=%s\n" $lib "$(pkg-config --modversion $lib)"; done; pg_config --version`)
	for _, want := range []string{"gcc", "libpq=17", "yaml-0.1=0.2", "mysqlclient=", "PostgreSQL 17"} {
		if !strings.Contains(out, want) {
			t.Errorf("builder base: %q not in\n%s", want, out)
		}
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

// TestKitWheelsInstallFrameworksOffline installs each framework the kit carries from
// its wheels alone, in a venv of its own in the builder base with no network, and runs
// what a project would: the console scripts pip makes from the wheels' entry points, and
// pydantic's compiled core.
func TestKitWheelsInstallFrameworksOffline(t *testing.T) {
	podman := testenv.Podman(t)
	k := testenv.Kit(t)
	builder := load(t, podman, k.Builder)
	for _, tc := range []struct {
		name, install, check string
		want                 []string
	}{
		{"gunicorn", "gunicorn", "/v/bin/gunicorn --version", []string{"gunicorn (version 23."}},
		{"uvicorn", "uvicorn", "/v/bin/uvicorn --version && /v/bin/python -c 'import uvicorn, h11, click; print(\"uvicorn-imported\")'",
			[]string{"Running uvicorn 0.", "uvicorn-imported"}},
		{"fastapi", "fastapi", `/v/bin/python -c '
import fastapi, pydantic, pydantic_core._pydantic_core as core
class Item(pydantic.BaseModel):
    n: int
print("fastapi", fastapi.__version__, Item.model_validate({"n": "7"}).n, core.__file__.endswith("cpython-313-x86_64-linux-gnu.so"))'`,
			[]string{"fastapi 0.", " 7 True"}},
		{"django", "django", "/v/bin/django-admin --version", []string{"4.2."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := podmanRun(t, podman, builder,
				`set -e; python -m venv /v && /v/bin/pip install -q --no-index --find-links /wheels `+tc.install+` && `+tc.check,
				k.Wheels+":/wheels:ro")
			for _, want := range tc.want {
				if !strings.Contains(out, want) {
					t.Errorf("%q not in\n%s", want, out)
				}
			}
		})
	}
}

// TestKitWheelsBuildASrcLayoutProjectOffline has pip build a setuptools project from
// source with build isolation: the backend (setuptools>=61) comes from the kit's wheels
// into pip's throwaway build environment, not into the venv.
func TestKitWheelsBuildASrcLayoutProjectOffline(t *testing.T) {
	podman := testenv.Podman(t)
	k := testenv.Kit(t)
	builder := load(t, podman, k.Builder)
	project := t.TempDir()
	for path, content := range map[string]string{
		"pyproject.toml": "[build-system]\nrequires = [\"setuptools>=61\"]\nbuild-backend = \"setuptools.build_meta\"\n\n" +
			"[project]\nname = \"tiny-pkg\"\nversion = \"0.1.0\"\ndependencies = [\"packaging\"]\n\n" +
			"[project.scripts]\ntiny = \"tiny_pkg:main\"\n",
		"src/tiny_pkg/__init__.py": "def main():\n    print('tiny says hi')\n",
	} {
		full := filepath.Join(project, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := podmanRun(t, podman, builder,
		`set -e; cp -r /src /tmp/p && python -m venv /v && /v/bin/pip install -q --no-index --find-links /wheels /tmp/p && `+
			`/v/bin/tiny && (/v/bin/python -c 'import setuptools' 2>/dev/null && echo setuptools-in-venv || echo isolated)`,
		k.Wheels+":/wheels:ro", project+":/src:ro")
	for _, want := range []string{"tiny says hi", "isolated"} {
		if !strings.Contains(out, want) {
			t.Errorf("%q not in\n%s", want, out)
		}
	}
}
