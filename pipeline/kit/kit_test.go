package kit_test

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/multistage/multistage/internal/testenv"
	"github.com/multistage/multistage/pipeline/kit"
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

var (
	variantOnce sync.Once
	variant     *kit.Result
	variantErr  error
)

// variantKit is the tests' kit with Debian's PyYAML among the wheels and two upstream
// sdists beside them (psycopg2, pyyaml), made once per test binary in a directory of its
// own beside the tests' kit, sharing its cache (the bases come from it as they are).
func variantKit(t *testing.T) *kit.Result {
	t.Helper()
	testenv.Kit(t)
	variantOnce.Do(func() {
		dir := testenv.KitDir()
		variant, variantErr = kit.Make(context.Background(), kit.Options{
			Dir: filepath.Join(dir, "variants", "yaml-sdists"), Cache: filepath.Join(dir, "cache"),
			With: []string{"python3-yaml"}, Sdists: []string{"psycopg2", "pyyaml"},
			Log: func(f string, a ...any) { t.Logf(f, a...) },
		})
	})
	if errors.Is(variantErr, kit.ErrArchiveUnreachable) {
		t.Skip("Debian's source archive is unreachable, and the kit's cache holds no copy of what --sdist reads")
	}
	if variantErr != nil {
		t.Fatalf("making the kit with --with python3-yaml --sdist psycopg2,pyyaml: %v", variantErr)
	}
	return variant
}

// TestKitSdistsBuildFromSourceOffline: pip builds the upstream releases of psycopg2 and
// PyYAML from the kit's sdists, in the builder base with no network, against its libpq
// and libyaml, with build requirements (setuptools, wheel, Cython) from the kit's wheels
// in pip's isolated build environment, as it would from PyPI.
func TestKitSdistsBuildFromSourceOffline(t *testing.T) {
	podman := testenv.Podman(t)
	k := variantKit(t)
	builder := load(t, podman, testenv.Kit(t).Builder)
	var names []string
	for _, f := range k.SdistFiles {
		names = append(names, filepath.Base(f))
	}
	if strings.Join(names, " ") != "psycopg2-2.9.10.tar.gz pyyaml-6.0.2.tar.gz" {
		t.Fatalf("sdists: %v", names)
	}
	// The wheels, less Debian's PyYAML (pip would rather take a wheel than build).
	wheels := t.TempDir()
	entries, err := os.ReadDir(k.Wheels)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "pyyaml-6.0.2-") {
			data, err := os.ReadFile(filepath.Join(k.Wheels, e.Name()))
			if err == nil {
				err = os.WriteFile(filepath.Join(wheels, e.Name()), data, 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	out := podmanRun(t, podman, builder,
		`set -e; python -m venv /v && /v/bin/pip install --no-index --find-links /wheels psycopg2 PyYAML && `+
			`/v/bin/python -c 'import psycopg2, yaml; print("versions", psycopg2.__libpq_version__, yaml.__with_libyaml__)' && `+
			`(/v/bin/python -c 'import Cython' 2>/dev/null && echo cython-in-venv || echo isolated)`,
		wheels+":/wheels:ro")
	for _, want := range []string{"Building wheel for psycopg2", "Building wheel for PyYAML", "isolated"} {
		if !strings.Contains(out, want) {
			t.Errorf("%q not in\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`versions 1[0-9]{5} True`).MatchString(out) {
		t.Errorf("psycopg2 without a libpq version, or PyYAML without libyaml:\n%s", out)
	}
}

// wheelFiles reads every file of a wheel.
func wheelFiles(t *testing.T, path string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string][]byte{}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], err = io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// TestKitWheelsCarryTheirLibraries: Debian's PyYAML links libyaml, which the slim base
// lacks; the kit's wheel carries it as PyPI's manylinux wheel would, and its C
// extension loads in the runtime base. The same wheel made --system-linked does not
// load there; wheels whose extensions need only the system's libraries (MarkupSafe,
// pydantic-core) are the same either way.
func TestKitWheelsCarryTheirLibraries(t *testing.T) {
	podman := testenv.Podman(t)
	k := variantKit(t)
	runtime := load(t, podman, testenv.Kit(t).Runtime)

	wheel, _ := filepath.Glob(filepath.Join(k.Wheels, "pyyaml-6.0.2-cp313-cp313-linux_x86_64.whl"))
	if len(wheel) != 1 {
		t.Fatalf("no PyYAML wheel in %s", k.Wheels)
	}
	files := wheelFiles(t, wheel[0])
	var ext, lib string
	for name := range files {
		if regexp.MustCompile(`^yaml/_yaml\.cpython-313-x86_64-linux-gnu\.so$`).MatchString(name) {
			ext = name
		}
		if regexp.MustCompile(`^pyyaml\.libs/libyaml-0-[0-9a-f]{8}\.so\.2\.[0-9.]+$`).MatchString(name) {
			lib = name
		}
	}
	if ext == "" || lib == "" {
		t.Fatalf("extension %q, carried libyaml %q; the wheel holds:\n%v", ext, lib, strings.Join(sortedNames(files), "\n"))
	}
	f, err := elf.NewFile(bytes.NewReader(files[ext]))
	if err != nil {
		t.Fatal(err)
	}
	needed, _ := f.DynString(elf.DT_NEEDED)
	rpath, _ := f.DynString(elf.DT_RPATH)
	if !strings.Contains(" "+strings.Join(needed, " ")+" ", " "+filepath.Base(lib)+" ") || strings.Contains(strings.Join(needed, " "), "libyaml-0.so.2") {
		t.Errorf("%s needs %v", ext, needed)
	}
	if strings.Join(rpath, ":") != "$ORIGIN/../pyyaml.libs" {
		t.Errorf("%s: RPATH %v", ext, rpath)
	}

	systemLinked := t.TempDir()
	if _, err := kit.WriteWheels(k.Harvest, systemLinked, kit.WheelOptions{SystemLinked: true}); err != nil {
		t.Fatal(err)
	}
	for _, pattern := range []string{"markupsafe-*.whl", "pydantic_core-*.whl"} {
		a, _ := filepath.Glob(filepath.Join(k.Wheels, pattern))
		b, _ := filepath.Glob(filepath.Join(systemLinked, pattern))
		if len(a) != 1 || len(b) != 1 {
			t.Fatalf("%s: %v %v", pattern, a, b)
		}
		x, _ := os.ReadFile(a[0])
		y, _ := os.ReadFile(b[0])
		if !bytes.Equal(x, y) {
			t.Errorf("%s changed, though its extension needs only the system's libraries", filepath.Base(a[0]))
		}
	}

	probe := `ls /usr/lib/x86_64-linux-gnu/libyaml* 2>/dev/null || echo no-libyaml; ` +
		`pip install -q --no-index --no-deps --target /t /wheels/pyyaml-6.0.2-cp313-cp313-linux_x86_64.whl && ` +
		`PYTHONPATH=/t python -c 'import yaml; print("with_libyaml", yaml.__with_libyaml__)'`
	for _, tc := range []struct{ dir, want string }{{k.Wheels, "with_libyaml True"}, {systemLinked, "with_libyaml False"}} {
		out := podmanRun(t, podman, runtime, probe, tc.dir+":/wheels:ro")
		if !strings.Contains(out, "no-libyaml") || !strings.Contains(out, tc.want) {
			t.Errorf("wheels of %s: %q not in\n%s", tc.dir, tc.want, out)
		}
	}
}

func sortedNames(m map[string][]byte) []string {
	var names []string
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// TestTheSameWheelsStayInPlace: making the kit again leaves a wheels directory whose
// wheels came out the same where it is, so that a test binary installing from it
// beside the one making the kit does not see it vanish; different wheels replace it.
func TestTheSameWheelsStayInPlace(t *testing.T) {
	k := testenv.Kit(t)
	out := filepath.Join(t.TempDir(), "wheels")
	write := func() uint64 {
		t.Helper()
		if _, err := kit.WriteWheels(k.Harvest, out, kit.WheelOptions{}); err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		return info.Sys().(*syscall.Stat_t).Ino
	}
	first := write()
	if again := write(); again != first {
		t.Fatal("the same wheels, written again, replaced the directory")
	}
	wheels, _ := filepath.Glob(filepath.Join(out, "*.whl"))
	if err := os.WriteFile(wheels[0], []byte("not a wheel"), 0o644); err != nil {
		t.Fatal(err)
	}
	if write() == first {
		t.Fatal("a damaged wheel was left in place")
	}
	if data, _ := os.ReadFile(wheels[0]); string(data) == "not a wheel" {
		t.Fatal("the damaged wheel was not made again")
	}
}
