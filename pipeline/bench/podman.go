package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/multistage/multistage/pipeline/kit"
	"github.com/multistage/multistage/pipeline/recipe"
	"github.com/multistage/multistage/pipeline/scripts"
)

// podmanWay is way B: the same recipes as Dockerfiles, built and run by podman.
type podmanWay struct {
	wheels      string
	scripts     string            // the pipeline's build-time scripts, mounted at /bench
	dockerfiles map[string]string // variant -> Dockerfile path
}

// PodmanRunFlags keep podman's containers inside the rlimits a sandbox grants (nofile
// and nproc above them are refused).
var PodmanRunFlags = []string{"--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"}

// Dockerfiles of way B. Single-stage is the tutorial's, its FROM and pip source set
// to the kit's; multi-stage is the tutorial's fixed, step for step as the pipeline
// builds it: the venv crosses to production, then the bytecode is written.
const singleStageDockerfile = `FROM %[2]s
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir --no-index --find-links /wheels -r requirements.txt
COPY . .
EXPOSE 5000
CMD ["python", "app.py"]
`

const multiStageDockerfile = `FROM %[1]s AS builder
WORKDIR /app
RUN python -m venv --without-pip /opt/venv
COPY requirements.txt .
RUN python -m pip --python /opt/venv/bin/python install --no-index --find-links /wheels -r requirements.txt

FROM %[2]s
RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent app
COPY --from=builder /opt/venv /opt/venv
RUN /opt/venv/bin/python /bench/precompile.py
COPY . /app
WORKDIR /app
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER 10001:10001
EXPOSE 5000
CMD ["python", "app.py"]
`

func newPodman(ctx context.Context, k *kit.Result, work string) (*podmanWay, error) {
	if _, err := exec.LookPath("podman"); err != nil {
		return nil, fmt.Errorf("podman is not installed: apt-get install podman runc")
	}
	builder, err := podmanLoad(ctx, k.Builder)
	if err != nil {
		return nil, err
	}
	runtime, err := podmanLoad(ctx, k.Runtime)
	if err != nil {
		return nil, err
	}
	scriptDir := filepath.Join(work, "scripts")
	if err := os.MkdirAll(scriptDir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(scriptDir, "precompile.py"), []byte(scripts.Precompile), 0o644); err != nil {
		return nil, err
	}
	way := &podmanWay{wheels: k.Wheels, scripts: scriptDir, dockerfiles: map[string]string{}}
	for variant, text := range map[string]string{recipe.VariantSingleStage: singleStageDockerfile, recipe.VariantMultiStage: multiStageDockerfile} {
		path := filepath.Join(work, "Dockerfile."+variant)
		if err := os.WriteFile(path, []byte(fmt.Sprintf(text, builder, runtime)), 0o644); err != nil {
			return nil, err
		}
		way.dockerfiles[variant] = path
	}
	return way, nil
}

// podmanLoad loads an image tarball and returns the name it loaded as.
func podmanLoad(ctx context.Context, tarball string) (string, error) {
	out, err := exec.CommandContext(ctx, "podman", "load", "-i", tarball).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("podman load %s: %v: %s", tarball, err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if name, ok := strings.CutPrefix(line, "Loaded image: "); ok {
			return strings.TrimSpace(name), nil
		}
	}
	return "", fmt.Errorf("podman load %s named no image: %s", tarball, out)
}

func tag(variant string) string { return "localhost/multistage-bench-" + variant + ":latest" }

// time builds both images in parallel, runs each with a published port until it
// answers, measures both, and stops them.
func (w *podmanWay) time(ctx context.Context, app string, sizes map[string]int64) (float64, error) {
	start := time.Now()
	err := bothVariants(func(variant string) error {
		out, err := exec.CommandContext(ctx, "podman", "build", "--network", "none", "-v", w.wheels+":/wheels:ro", "-v", w.scripts+":/bench:ro",
			"-f", w.dockerfiles[variant], "-t", tag(variant), app).CombinedOutput()
		if err != nil {
			return fmt.Errorf("podman build %s: %v: %s", variant, err, lastLine(string(out)))
		}
		return w.runAndCheck(ctx, variant)
	})
	seconds := time.Since(start).Seconds()
	if err != nil {
		return 0, err
	}
	for _, variant := range []string{recipe.VariantSingleStage, recipe.VariantMultiStage} {
		out, err := exec.CommandContext(ctx, "podman", "image", "inspect", "--format", "{{.Size}}", tag(variant)).Output()
		if err != nil {
			return 0, err
		}
		sizes[variant], _ = strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	}
	return seconds, nil
}

// runAndCheck starts the image with a published port, asks it until it answers, and removes it.
func (w *podmanWay) runAndCheck(ctx context.Context, variant string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	name := fmt.Sprintf("multistage-bench-%s-%d", variant, time.Now().UnixNano())
	args := append([]string{"run", "-d", "--name", name, "-p", fmt.Sprintf("127.0.0.1:%d:5000", port)}, PodmanRunFlags...)
	if out, err := exec.CommandContext(ctx, "podman", append(args, tag(variant))...).CombinedOutput(); err != nil {
		return fmt.Errorf("podman run %s: %v: %s", variant, err, out)
	}
	defer exec.Command("podman", "rm", "-f", "-t", "0", name).Run()
	client := http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/", port)); err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && string(body) == SampleAppBody {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s run by podman gave no good answer within 30s", variant)
}

// prune removes the built images and podman's build cache; the loaded bases stay.
func (w *podmanWay) prune(ctx context.Context) error {
	exec.CommandContext(ctx, "podman", "rmi", "-f", tag(recipe.VariantSingleStage), tag(recipe.VariantMultiStage)).Run()
	if out, err := exec.CommandContext(ctx, "podman", "image", "prune", "-f").CombinedOutput(); err != nil {
		return fmt.Errorf("podman image prune: %v: %s", err, out)
	}
	return nil
}

func bothVariants(fn func(variant string) error) error {
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, variant := range []string{recipe.VariantSingleStage, recipe.VariantMultiStage} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(variant)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
