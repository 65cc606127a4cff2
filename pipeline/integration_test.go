package pipeline_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"dagger.io/dagger"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/multistage/multistage/internal/schemas"
	"github.com/multistage/multistage/internal/testenv"
	"github.com/multistage/multistage/pipeline"
	"github.com/multistage/multistage/pipeline/bench"
	"github.com/multistage/multistage/pipeline/export"
	"github.com/multistage/multistage/pipeline/failure"
	"github.com/multistage/multistage/pipeline/measure"
	"github.com/multistage/multistage/pipeline/recipe"
	"github.com/multistage/multistage/pipeline/report"
)

// kitPipeline is the pipeline exactly as users run it, with the offline kit's bases
// imported as the base containers and its wheels as the package source.
func kitPipeline(t *testing.T, app string, change func(*pipeline.Options)) *pipeline.Pipeline {
	t.Helper()
	return kitPipelineOn(t, testenv.Client(t), app, change)
}

// kitPipelineOn is kitPipeline with a client of the caller's (a session of its own).
func kitPipelineOn(t *testing.T, client *dagger.Client, app string, change func(*pipeline.Options)) *pipeline.Pipeline {
	t.Helper()
	k := testenv.Kit(t)
	opts := pipeline.Options{
		Options: recipe.Options{
			BuilderBase: client.Container().Import(client.Host().File(k.Builder)),
			RuntimeBase: client.Container().Import(client.Host().File(k.Runtime)),
			Wheels:      client.Host().Directory(k.Wheels),
			App:         client.Host().Directory(app),
		},
		// The tests run beside each other on two cores: an app's start can wait for a
		// core far longer than alone (READY is 1–3 s alone). A check that fails still
		// fails, in 90 s instead of 30.
		CheckTimeout: 90 * time.Second,
	}
	if change != nil {
		change(&opts)
	}
	p, err := pipeline.New(context.Background(), client, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var sampleApp = filepath.Join(testenv.RepoRoot(), "sample-app")

// comparison runs Compare on the sample app once for every test that reads it.
var comparison struct {
	once     sync.Once
	compared *report.Report
	built    []export.Built
	export   string
	err      error
}

func compareSample(t *testing.T) (*report.Report, string) {
	t.Helper()
	p := kitPipeline(t, sampleApp, nil)
	comparison.once.Do(func() {
		ctx := context.Background()
		comparison.compared, comparison.built = p.Compare(ctx)
		comparison.export, comparison.err = os.MkdirTemp("", "multistage-export-test-")
		if comparison.err == nil {
			_, comparison.err = export.WriteExport(ctx, comparison.compared, comparison.built, comparison.export, false)
		}
	})
	if comparison.err != nil {
		t.Fatal(comparison.err)
	}
	return comparison.compared, comparison.export
}

func image(t *testing.T, r *report.Report, variant string) report.ImageReport {
	t.Helper()
	for _, img := range r.Images {
		if img.Variant == variant {
			return img
		}
	}
	t.Fatalf("no %s in report", variant)
	return report.ImageReport{}
}

func TestCompareOnKitChecksBothImagesAndCatchesTheTutorial(t *testing.T) {
	compared, _ := compareSample(t)
	table, _ := compared.Render(report.FormatTable)
	t.Logf("report:\n%s", table)

	for _, variant := range []string{recipe.VariantSingleStage, recipe.VariantMultiStage} {
		img := image(t, compared, variant)
		if !img.Check.Passed || img.Check.Status != 200 || img.Check.Body != bench.SampleAppBody {
			t.Errorf("%s check: %+v", variant, img.Check)
		}
		if img.Check.ReadySeconds <= 0 {
			t.Errorf("%s: no time to first good answer recorded", variant)
		}
	}
	tutorial := image(t, compared, recipe.VariantTutorial)
	if tutorial.Check.Passed || tutorial.ExpectedToPass {
		t.Errorf("tutorial passed its check: %+v", tutorial.Check)
	}
	if logs := strings.Join(tutorial.Check.Logs, "\n"); !strings.Contains(logs, "ModuleNotFoundError: No module named 'flask'") || !strings.Contains(logs, "exited with code 1]") {
		t.Errorf("tutorial logs lack the ModuleNotFoundError and the exit:\n%s", logs)
	}
	// Its app exits at once: that run alone shows the failure, with no service started.
	if tutorial.Check.Attempts != 0 || tutorial.Check.Error != "the app exited before answering" {
		t.Errorf("tutorial was not judged by its own run: %d requests, error %q", tutorial.Check.Attempts, tutorial.Check.Error)
	}
	if !compared.OK {
		t.Errorf("report not OK: %v", compared.Failures())
	}
	out, err := compared.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := schemas.Report([]byte(out)); err != nil {
		t.Errorf("the real report does not match report.schema.json: %v", err)
	}
}

// TestSizesAreMeasuredAndConsistent reads every exported tarball again, without the
// measurement cache, and finds the report's layer sizes in it.
func TestSizesAreMeasuredAndConsistent(t *testing.T) {
	ctx := context.Background()
	p := kitPipeline(t, sampleApp, nil)
	compared, built := p.Compare(ctx)
	dir := t.TempDir()
	if _, err := export.WriteExport(ctx, compared, built, dir, false); err != nil {
		t.Fatal(err)
	}
	for i, img := range compared.Images {
		if img.Error != "" {
			t.Fatalf("%s: %s", img.Variant, img.Error)
		}
		// A reading with nothing kept unpacks every layer and finds the same figures.
		pipeline.UseOwnMeasureVolume(t)
		m, err := p.Measure(ctx, built[i].Image)
		if err == nil {
			m.Sizes.Parts = m.Parts(productionPlaces(img.NativeLibraries))
		}
		if err != nil || m.LayersRead != distinctLayers(img.Layers) || m.Sizes != img.Sizes || !reflect.DeepEqual(m.Layers, img.Layers) {
			t.Fatalf("%s: a reading with nothing kept unpacked %d of %d layers (%v) and found %+v, report says %+v", img.Variant, m.LayersRead, distinctLayers(img.Layers), err, m.Sizes, img.Sizes)
		}
		s := img.Sizes
		// The parts split SIZE exactly.
		if s.Parts.Total() != s.UncompressedBytes || s.Parts.App == 0 {
			t.Errorf("%s: parts %+v add up to %d, SIZE is %d", img.Variant, s.Parts, s.Parts.Total(), s.UncompressedBytes)
		}
		// COMPRESSED is the engine's tarball with gzip layers, to the byte.
		engineTarball := filepath.Join(t.TempDir(), "image.tar")
		if _, err := measure.ImageTarball(built[i].Image).Export(ctx, engineTarball); err != nil {
			t.Fatal(err)
		}
		var tarballBytes int64
		if st, err := os.Stat(engineTarball); err == nil {
			tarballBytes = st.Size()
		}
		if tarballBytes != s.CompressedBytes {
			t.Errorf("%s: the engine's gzip tarball has %d bytes, report says COMPRESSED %d", img.Variant, tarballBytes, s.CompressedBytes)
		}
		exported, err := tarball.ImageFromPath(filepath.Join(dir, img.Variant+".tar"), nil)
		if err != nil {
			t.Fatal(err)
		}
		layers, err := exported.Layers()
		if err != nil || len(layers) != len(img.Layers) {
			t.Fatalf("%s: %d layers exported (%v), %d reported", img.Variant, len(layers), err, len(img.Layers))
		}
		var unpacked int64
		for i, layer := range layers {
			content, err := layer.Uncompressed()
			if err != nil {
				t.Fatal(err)
			}
			n, err := io.Copy(io.Discard, content)
			content.Close()
			if err != nil {
				t.Fatal(err)
			}
			if n != img.Layers[i].UncompressedBytes {
				t.Errorf("%s layer %d: %d bytes unpacked, report says %d", img.Variant, i, n, img.Layers[i].UncompressedBytes)
			}
			digest, _ := layer.Digest()
			compressed, _ := layer.Size()
			if digest.String() != img.Layers[i].Digest || compressed != img.Layers[i].CompressedBytes {
				t.Errorf("%s layer %d: exported %s of %d bytes, report says %s of %d", img.Variant, i, digest, compressed, img.Layers[i].Digest, img.Layers[i].CompressedBytes)
			}
			unpacked += n
		}
		if unpacked != s.UncompressedBytes {
			t.Errorf("%s: layers unpack to %d bytes, report says %d", img.Variant, unpacked, s.UncompressedBytes)
		}
		// The engine-side reading (measure.py) and go-containerregistry's, with nothing
		// kept, find the same contents.
		t.Setenv("MULTISTAGE_MEASURE_CACHE", t.TempDir())
		contents, err := measure.InspectImage(exported)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(contents, *img.Contents) {
			t.Errorf("%s contents differ:\nreport:                %+v\ngo-containerregistry: %+v", img.Variant, *img.Contents, contents)
		}
	}
	multi := image(t, compared, recipe.VariantMultiStage)
	if multi.VersusSingleStage == nil || multi.VersusSingleStage.DeltaBytes != multi.Sizes.UncompressedBytes-image(t, compared, recipe.VariantSingleStage).Sizes.UncompressedBytes {
		t.Errorf("multi-stage comparison wrong: %+v", multi.VersusSingleStage)
	}
	// The images built on the runtime base carry it whole, as their base; minimal takes
	// from it only what the app needs, and has neither bytecode nor its own base layers.
	single, tutorial, minimal := image(t, compared, recipe.VariantSingleStage), image(t, compared, recipe.VariantTutorial), image(t, compared, recipe.VariantMinimal)
	if base := tutorial.Sizes.Parts.Base; single.Sizes.Parts.Base < base || multi.Sizes.Parts.Base < base || base < tutorial.Layers[0].UncompressedBytes {
		t.Errorf("base parts: single-stage %d, multi-stage %d, tutorial %d (its first layer %d)", single.Sizes.Parts.Base, multi.Sizes.Parts.Base, base, tutorial.Layers[0].UncompressedBytes)
	}
	if single.Sizes.Parts.Dependencies == 0 || multi.Sizes.Parts.Dependencies == 0 || multi.Sizes.Parts.Bytecode == 0 || tutorial.Sizes.Parts.Dependencies != 0 ||
		minimal.Sizes.Parts.Bytecode != 0 || minimal.Sizes.Parts.Base >= tutorial.Sizes.Parts.Base {
		t.Errorf("parts: single-stage %+v, multi-stage %+v, minimal %+v, tutorial %+v", single.Sizes.Parts, multi.Sizes.Parts, minimal.Sizes.Parts, tutorial.Sizes.Parts)
	}
}

// distinctLayers counts the layers of an image with different contents: two empty
// layers are one (the same diff ID), and a reading unpacks it once.
func distinctLayers(layers []measure.Layer) int {
	seen := map[string]bool{}
	for _, l := range layers {
		seen[l.Digest] = true
	}
	return len(seen)
}

func TestExportedTarballsReadBackWithTheirTags(t *testing.T) {
	compared, dir := compareSample(t)
	for _, img := range compared.Images {
		path := filepath.Join(dir, img.Variant+".tar")
		manifest, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(path) })
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(manifest) != 1 || len(manifest[0].RepoTags) != 1 || manifest[0].RepoTags[0] != "index.docker.io/"+export.ImageTag(img.Variant) && manifest[0].RepoTags[0] != export.ImageTag(img.Variant) {
			t.Errorf("%s: tags %+v", path, manifest)
		}
		layers, err := measure.ReadLayers(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(layers) != len(img.Layers) {
			t.Errorf("%s: %d layers exported, %d reported", img.Variant, len(layers), len(img.Layers))
		}
	}
	for _, name := range []string{"report.json", "report.md", "report.txt", "report.html"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", name, err)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

// TestPodmanRunsTheExportedImage loads the exported multi-stage tarball into podman,
// runs it with a published port and asks it over HTTP; the report's size must agree
// with podman's within 3%.
func TestPodmanRunsTheExportedImage(t *testing.T) {
	podman := testenv.Podman(t)
	compared, dir := compareSample(t)
	multi := image(t, compared, recipe.VariantMultiStage)

	tag := "localhost/" + strings.TrimSuffix(export.ImageTag(recipe.VariantMultiStage), ":latest") + ":latest"
	run(t, podman, "load", "-i", filepath.Join(dir, "multi-stage.tar"))
	port := freePort(t)
	name := fmt.Sprintf("multistage-test-%d", time.Now().UnixNano())
	loadedAs := firstExisting(t, podman, tag, "docker.io/"+export.ImageTag(recipe.VariantMultiStage))
	args := append([]string{"run", "-d", "--name", name, "-p", fmt.Sprintf("127.0.0.1:%d:5000", port)}, testenv.PodmanRunFlags...)
	run(t, podman, append(args, loadedAs)...)
	t.Cleanup(func() { exec.Command(podman, "rm", "-f", name).Run() })

	body := getUntil(t, fmt.Sprintf("http://127.0.0.1:%d/", port), 30*time.Second)
	if body != bench.SampleAppBody {
		t.Fatalf("podman-run image answered %q", body)
	}
	sizeText := strings.TrimSpace(run(t, podman, "image", "inspect", "--format", "{{.Size}}", loadedAs))
	podmanSize, err := strconv.ParseInt(sizeText, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	diff := math.Abs(float64(podmanSize-multi.Sizes.UncompressedBytes)) / float64(podmanSize)
	t.Logf("multi-stage: report %d bytes, podman %d bytes (%.2f%% apart)", multi.Sizes.UncompressedBytes, podmanSize, 100*diff)
	if diff > 0.03 {
		t.Fatalf("report says %d bytes, podman %d: more than 3%% apart", multi.Sizes.UncompressedBytes, podmanSize)
	}
}

func TestProductionRefusesBasesWithDifferentInterpreters(t *testing.T) {
	client := testenv.Client(t)
	k := testenv.Kit(t)
	// The same Python 3.13, moved to /usr/local/bin: the venv's link would break.
	moved := client.Container().Import(client.Host().File(k.Runtime)).
		WithExec([]string{"sh", "-c", "cp /usr/bin/python3.13 /usr/local/bin/python3.13 && ln -sf /usr/local/bin/python3.13 /usr/local/bin/python"})
	p := kitPipeline(t, sampleApp, func(o *pipeline.Options) { o.RuntimeBase = moved })
	_, err := p.Recipes().Production(context.Background())
	if err == nil || !strings.Contains(err.Error(), "/usr/bin/python3.13") || !strings.Contains(err.Error(), "/usr/local/bin/python3.13") {
		t.Fatalf("want both interpreter paths named, got %v", err)
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func firstExisting(t *testing.T, podman string, refs ...string) string {
	for _, ref := range refs {
		if exec.Command(podman, "image", "exists", ref).Run() == nil {
			return ref
		}
	}
	t.Fatalf("podman has none of %v", refs)
	return ""
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func getUntil(t *testing.T, url string, limit time.Duration) string {
	deadline := time.Now().Add(limit)
	client := http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := client.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return string(body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no answer from %s within %s: %v", url, limit, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestMinimalIsUnder35MBServesAndCarriesNoTools(t *testing.T) {
	compared, _ := compareSample(t)
	minimal := image(t, compared, recipe.VariantMinimal)
	if !minimal.Check.Passed {
		t.Fatalf("minimal check failed: %+v", minimal.Check)
	}
	if minimal.Sizes.UncompressedBytes > 35_000_000 {
		t.Errorf("minimal is %s, over 35 MB", report.FormatBytes(minimal.Sizes.UncompressedBytes))
	}
	c := minimal.Contents
	if c == nil || len(c.Shell)+len(c.Pip)+len(c.Compiler)+len(c.PackageManager)+len(c.SetuidFiles) != 0 || c.RunsAsRoot {
		t.Errorf("minimal carries tools or runs as root: %+v", c)
	}
	if len(minimal.Layers) != 3 {
		t.Errorf("minimal has %d layers, want 3 (base, venv, app)", len(minimal.Layers))
	}
	// The same, asked of the running image rather than of the report's classifier.
	image := kitPipeline(t, sampleApp, nil).Recipes().Minimal()
	ctx := context.Background()
	if _, err := image.WithExec([]string{"/bin/sh", "-c", "true"}).Sync(ctx); err == nil {
		t.Error("minimal runs /bin/sh")
	}
	if _, err := image.WithExec([]string{"python", "-m", "pip", "--version"}).Sync(ctx); err == nil {
		t.Error("minimal runs python -m pip")
	}
	if _, err := image.WithExec([]string{"python", "-m", "ensurepip", "--version"}).Sync(ctx); err == nil {
		t.Error("minimal runs python -m ensurepip (its bundled pip wheel)")
	}
	found, err := image.WithExec([]string{"python", "-c", toolFinder}).Stdout(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(found) != "" {
		t.Errorf("minimal carries tools or test modules:\n%s", found)
	}
}

// toolFinder walks the whole filesystem for executables that are shells, interpreters
// other than python, package tools or compilers (by name, wherever they lie), and for
// CPython's test extension modules; it prints each one found.
const toolFinder = `import os, re, sysconfig
tools = re.compile(r"^(sh|ash|bash|dash|zsh|busybox|perl[0-9.]*|pip[0-9.]*|easy_install|apt|apt-get|dpkg|gcc|cc|g\+\+|ld|make)$")
tests = re.compile(r"^(_test|_xx|xx)[a-z0-9_]*\.")
for d, dirs, files in os.walk("/"):
    dirs[:] = [x for x in dirs if os.path.join(d, x) not in ("/proc", "/sys", "/dev")]
    for f in files:
        p = os.path.join(d, f)
        if tools.match(f) and os.access(p, os.X_OK):
            print("tool:", p)
        if tests.match(f) and f.endswith(".so"):
            print("test module:", p)
`

func TestContentsTellSingleFromMultiStage(t *testing.T) {
	compared, _ := compareSample(t)
	single := image(t, compared, recipe.VariantSingleStage).Contents
	if single == nil || len(single.Pip) == 0 || !single.RunsAsRoot || len(single.Shell) == 0 {
		t.Errorf("single-stage should have pip and a shell and run as root: %+v", single)
	}
	multi := image(t, compared, recipe.VariantMultiStage).Contents
	if multi == nil || multi.RunsAsRoot || len(multi.Compiler) != 0 || multi.User != fmt.Sprintf("%d:%d", recipe.AppUID, recipe.AppUID) {
		t.Errorf("multi-stage should run as %d with no compiler: %+v", recipe.AppUID, multi)
	}
}

// TestMinimalLoadsCompiledExtensions proves the closure walk: the app answers only
// when MarkupSafe's C extension (and what it links against) loads in the minimal image.
func TestMinimalLoadsCompiledExtensions(t *testing.T) {
	app := filepath.Join(testenv.RepoRoot(), "pipeline", "testdata", "speedups-app")
	p := kitPipeline(t, app, func(o *pipeline.Options) { o.Expect = "speedups: &lt;ok&gt;" })
	minimal := p.Recipes().Minimal()
	result := p.Check(context.Background(), recipe.VariantMinimal, minimal)
	if !result.Passed {
		t.Fatalf("minimal did not load markupsafe._speedups: %+v", result)
	}
	// Extensions of the standard library that link beyond libc: OpenSSL (ssl, _hashlib)
	// and libffi (ctypes), each used, not only imported.
	probe := `import ssl, hashlib, _hashlib, ctypes
ssl.create_default_context()
assert hashlib.new("sha3_256", b"x", usedforsecurity=True).hexdigest()
assert ctypes.CDLL(None).abs(-3) == 3
print("linked ok")`
	out, err := minimal.WithExec([]string{"python", "-c", probe}).Stdout(context.Background())
	if err != nil || strings.TrimSpace(out) != "linked ok" {
		t.Fatalf("minimal cannot use ssl, _hashlib or ctypes: %q %s", out, failure.Describe(err))
	}
}

// TestPinnedBasesAreRecordedByDigest needs an engine that resolves python:3.13 and
// python:3.13-slim (from a registry, or a mirror seeded with `kit --push`).
func TestPinnedBasesAreRecordedByDigest(t *testing.T) {
	client := testenv.Client(t)
	k := testenv.Kit(t)
	p, err := pipeline.New(context.Background(), client, pipeline.Options{
		Options: recipe.Options{
			App:      client.Host().Directory(sampleApp),
			Wheels:   client.Host().Directory(k.Wheels),
			PinBases: true,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Pinning names the bases by digest before anything is built (without it the names
	// stay empty and each stage resolves the tag itself).
	opts := p.Options()
	for role, name := range map[string]string{"builder": opts.BuilderBaseName, "runtime": opts.RuntimeBaseName} {
		if !strings.Contains(name, "python:3.13") || !strings.Contains(name, "@sha256:") {
			t.Errorf("%s base not pinned by digest: %q", role, name)
		}
	}
	if t.Failed() {
		return
	}
	// Every stage starts from the pinned image: its own reference is the pinned one.
	for role, base := range map[string]*dagger.Container{"builder": opts.BuilderBase, "runtime": opts.RuntimeBase} {
		ref, err := base.ImageRef(context.Background())
		want := map[string]string{"builder": opts.BuilderBaseName, "runtime": opts.RuntimeBaseName}[role]
		if err != nil || ref != want {
			t.Errorf("%s stage starts from %q (%v), want the pinned %q", role, ref, err, want)
		}
	}
}

// TestProductionImagesCannotChangeTheirApp runs, as each production image's own user,
// a probe of who it is and whether it may write the app.
func TestProductionImagesCannotChangeTheirApp(t *testing.T) {
	p := kitPipeline(t, sampleApp, nil)
	production, err := p.Recipes().Production(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	probe := []string{"python", "-c", "import os; print(os.getuid(), os.access('/app/app.py', os.W_OK), os.access('/app', os.W_OK))"}
	for name, image := range map[string]*dagger.Container{"multi-stage": production, "minimal": p.Recipes().Minimal()} {
		out, err := image.WithExec(probe).Stdout(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("%d False False", recipe.AppUID); strings.TrimSpace(out) != want {
			t.Errorf("%s: got %q, want %q (uid, app.py writable, /app writable)", name, strings.TrimSpace(out), want)
		}
	}
}

// TestProductionStartsFromBytecode imports the app's requirements in the multi-stage
// image as its own user, with Python's verbose import log: every module must come
// from bytecode written at build time, none compiled from source at start. The
// single-stage image is the control: its base ships no bytecode for what pip did not
// import, so it compiles some.
func TestProductionStartsFromBytecode(t *testing.T) {
	p := kitPipeline(t, sampleApp, nil)
	ctx := context.Background()
	production, err := p.Recipes().Production(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fromSource := func(image *dagger.Container) []string {
		t.Helper()
		// -v logs "# code object from X.py" for a module compiled at import, and the
		// .pyc path for one read from bytecode.
		out, err := image.
			WithEnvVariable("MULTISTAGE_TEST_AT", strconv.FormatInt(time.Now().UnixNano(), 10)).
			WithExec([]string{"python", "-v", "-c", "import flask, app"}).
			Stderr(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var compiled []string
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "# code object from ") && strings.HasSuffix(line, ".py") && !strings.HasSuffix(line, "/app.py") {
				compiled = append(compiled, strings.TrimPrefix(line, "# code object from "))
			}
		}
		return compiled
	}
	if compiled := fromSource(production); len(compiled) > 0 {
		t.Errorf("multi-stage compiles %d modules at start, e.g. %v", len(compiled), compiled[:min(3, len(compiled))])
	}
	if compiled := fromSource(p.Recipes().SingleStage()); len(compiled) == 0 {
		t.Errorf("control: single-stage compiled nothing at start; the check above proves nothing")
	}
}

// TestProductionImagesStopPromptlyOnSigterm: `podman stop` sends SIGTERM and kills
// after 10 s; a production image's app (PID 1) must end on the SIGTERM (exit 0), not
// be killed after the grace period.
func TestProductionImagesStopPromptlyOnSigterm(t *testing.T) {
	podman := testenv.Podman(t)
	_, dir := compareSample(t)
	for _, variant := range []string{recipe.VariantMultiStage, recipe.VariantMinimal} {
		t.Run(variant, func(t *testing.T) {
			run(t, podman, "load", "-i", filepath.Join(dir, variant+".tar"))
			loadedAs := firstExisting(t, podman, "localhost/"+export.ImageTag(variant), "docker.io/"+export.ImageTag(variant))
			port := freePort(t)
			name := fmt.Sprintf("multistage-stop-%d", time.Now().UnixNano())
			args := append([]string{"run", "-d", "--name", name, "-p", fmt.Sprintf("127.0.0.1:%d:5000", port)}, testenv.PodmanRunFlags...)
			run(t, podman, append(args, loadedAs)...)
			t.Cleanup(func() { exec.Command(podman, "rm", "-f", name).Run() })
			if body := getUntil(t, fmt.Sprintf("http://127.0.0.1:%d/", port), 30*time.Second); body != bench.SampleAppBody {
				t.Fatalf("answered %q", body)
			}
			start := time.Now()
			run(t, podman, "stop", "--time", "10", name)
			took := time.Since(start)
			code := strings.TrimSpace(run(t, podman, "inspect", "--format", "{{.State.ExitCode}}", name))
			t.Logf("%s: podman stop took %.2fs, exit code %s", variant, took.Seconds(), code)
			// Ended by the SIGTERM: exit 0 well inside the 10 s grace period. Killed after
			// it: exit 137 at 10 s. (Under load a stop can take a few seconds either way.)
			if code != "0" || took > 8*time.Second {
				t.Errorf("%s took %.1fs to stop on SIGTERM, exit code %s (killed after the grace period?)", variant, took.Seconds(), code)
			}
		})
	}
}

// productionPlaces are where the production images keep the app, the venv and the
// native libraries the report lists.
func productionPlaces(native []recipe.NativeLibrary) measure.Places {
	places := measure.Places{App: recipe.AppPath, Venv: recipe.VenvPath}
	for _, lib := range native {
		places.Native = append(places.Native, lib.Path)
	}
	return places
}
