package recipe

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline/scripts"
)

// Paths and identity shared by the builder and production stages.
const (
	// VenvPath is where the builder installs the dependencies and the production
	// images keep them; AppPath is the app's directory in every image.
	VenvPath = "/opt/venv"
	AppPath  = "/app"
	// AppUser runs the production image; its fixed UID lets file ownership and
	// Kubernetes runAsUser policies be written ahead of time.
	AppUser = "app"
	AppUID  = 10001
)

// Builder is the multi-stage recipe's first stage: the plan's requirements installed
// into a virtual environment at /opt/venv (then the project itself, when it is a
// package), with a pip cache volume so that rebuilds reuse downloads. Only the venv
// leaves this stage. The venv has no pip of its own: the builder's pip installs into
// it (--python), so pip's ~10 MB stay behind.
func (r *Recipes) Builder() *dagger.Container {
	builder := r.stepEnv(r.builderBase()).
		WithEnvVariable("PIP_DISABLE_PIP_VERSION_CHECK", "1").
		WithMountedCache("/root/.cache/pip", r.client.CacheVolume("multistage-pip-"+r.opts.PythonVersion)).
		WithExec([]string{"python", "-m", "venv", "--without-pip", VenvPath}).
		WithWorkdir(AppPath).
		WithDirectory(AppPath, r.requirementsFile())
	builder = r.installRequirements(builder, venvPip, AppPath)
	// The project's own wheel stays out of the shared pip cache: it is built from this
	// source only, and two builds at once (--verify-reproducible rebuilds multi-stage
	// and minimal side by side) wrote the same cache entry, one reading the other's
	// half-written wheel ("Bad CRC-32 for file ...RECORD").
	return r.installProject(builder, venvPip, "--no-cache-dir").
		WithNewFile(launcherPath, stopOnSigterm)
}

// venvPip is the builder's pip installing into the venv, which has no pip of its own.
var venvPip = []string{"python", "-m", "pip", "--python", VenvPath + "/bin/python"}

// Production is the multi-stage recipe's final stage: the slim runtime base, the venv
// from the builder, the app, a non-root user and a healthcheck that needs no curl.
// It refuses bases whose Python differs, since the venv's interpreter link and its
// compiled extensions only work with the interpreter that made them.
func (r *Recipes) Production(ctx context.Context) (*dagger.Container, error) {
	image, err := r.productionDependencies(ctx)
	if err != nil {
		return nil, err
	}
	path, err := r.runtimeBase().EnvVariable(ctx, "PATH")
	if err != nil {
		return nil, fmt.Errorf("reading PATH of the runtime base: %w", err)
	}
	return image.
		// The app stays owned by root, so the user that runs it cannot change it.
		WithDirectory("/", r.placedApp()).
		With(r.runsAsProduction(path)).
		WithLabel("org.opencontainers.image.title", "multistage multi-stage"), nil
}

// productionDependencies is the production stage before the app: the runtime base,
// the app user, the venv, the native libraries the venv links, and the bytecode.
// Every layer of it comes before the app's, so an app edit reuses them all.
func (r *Recipes) productionDependencies(ctx context.Context) (*dagger.Container, error) {
	if err := r.VerifyBases(ctx); err != nil {
		return nil, err
	}
	builder := r.Builder()
	native, err := r.NativeLibraries(ctx)
	if err != nil {
		return nil, err
	}

	image := r.withChanges(r.runtimeBase(), addAppUser)
	// The handoff: the virtual environment crosses from the builder...
	image = image.WithDirectory("/", r.handoff(builder, VenvPath, VenvPath))
	// ...and the shared libraries its compiled code links that the runtime base lacks,
	// at the paths the loader searches, as apt-get install of their packages would.
	if len(native.Carried) > 0 && !r.opts.LeaveNativeBehind {
		image = image.WithDirectory("/", native.root)
	}
	return r.withChanges(image, func(c *dagger.Container) *dagger.Container {
		return r.scripts.Mount(c).WithExec(scripts.Command([]string{VenvPath + "/bin/python"}, "precompile.py"))
	}), nil
}

// addAppUser adds the non-root user and its group that production images run as.
func addAppUser(image *dagger.Container) *dagger.Container {
	uid := strconv.Itoa(AppUID)
	return image.
		WithExec([]string{"groupadd", "--system", "--gid", uid, AppUser}).
		WithExec([]string{"useradd", "--system", "--uid", uid, "--gid", uid, "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", AppUser})
}

// runsAsProduction gives a production image (multi-stage, minimal) its runtime
// settings: the venv first on PATH, no bytecode writes, unbuffered output, the
// non-root user, the port, a healthcheck and the app's command.
func (r *Recipes) runsAsProduction(path string) func(*dagger.Container) *dagger.Container {
	uid := strconv.Itoa(AppUID)
	return func(image *dagger.Container) *dagger.Container {
		return image.
			WithWorkdir(AppPath).
			WithEnvVariable("PATH", VenvPath+"/bin:"+path).
			WithEnvVariable("VIRTUAL_ENV", VenvPath).
			WithEnvVariable("PYTHONDONTWRITEBYTECODE", "1").
			WithEnvVariable("PYTHONUNBUFFERED", "1").
			// Platforms hand the port over as PORT; gunicorn binds 0.0.0.0:$PORT by itself.
			WithEnvVariable("PORT", strconv.Itoa(r.opts.Port)).
			WithUser(uid+":"+uid).
			WithExposedPort(r.opts.Port).
			WithDockerHealthcheck(r.probe.HealthcheckCommand(r.opts.Port), healthcheckOptions).
			WithDefaultArgs(r.productionCommand()).
			WithLabel("io.multistage.port", strconv.Itoa(r.opts.Port))
	}
}

// healthcheckOptions: Dagger waits for the healthcheck before a service counts as
// started, retrying at StartInterval during StartPeriod; a short StartInterval makes
// the service ready as soon as the app answers.
var healthcheckOptions = dagger.ContainerWithDockerHealthcheckOpts{
	Interval: "30s", Timeout: "3s", StartPeriod: "30s", StartInterval: "500ms", Retries: 3,
}

// PythonInfo identifies an interpreter: its minor version and the real path of its binary.
type PythonInfo struct {
	Version     string
	Interpreter string
}

const pythonInfoScript = `import os, sys; print("%d.%d" % sys.version_info[:2]); print(os.path.realpath(sys.executable))`

// ProbePython reads which Python a base carries.
func ProbePython(ctx context.Context, base *dagger.Container) (PythonInfo, error) {
	out, err := base.WithExec([]string{"python", "-c", pythonInfoScript}).Stdout(ctx)
	if err != nil {
		return PythonInfo{}, err
	}
	return parsePythonInfo(out)
}

func parsePythonInfo(out string) (PythonInfo, error) {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		return PythonInfo{}, fmt.Errorf("unexpected answer from python: %q", out)
	}
	return PythonInfo{Version: strings.TrimSpace(lines[0]), Interpreter: strings.TrimSpace(lines[1])}, nil
}

// VerifyBases refuses a builder and a runtime whose Pythons differ in minor version
// or interpreter path, naming both.
func (r *Recipes) VerifyBases(ctx context.Context) error {
	// Both bases answer at once: this is on the way to every multi-stage build.
	var runtime PythonInfo
	var runtimeErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		runtime, runtimeErr = ProbePython(ctx, r.runtimeBase())
	}()
	builder, builderErr := ProbePython(ctx, r.builderBase())
	wg.Wait()
	if builderErr != nil {
		return fmt.Errorf("builder base: cannot run python: %w", builderErr)
	}
	if runtimeErr != nil {
		return fmt.Errorf("runtime base: cannot run python: %w", runtimeErr)
	}
	return compareBases(builder, runtime)
}

func compareBases(builder, runtime PythonInfo) error {
	if builder.Version != runtime.Version {
		return fmt.Errorf("builder base has Python %s but runtime base has Python %s: use bases of the same minor version", builder.Version, runtime.Version)
	}
	if builder.Interpreter != runtime.Interpreter {
		return fmt.Errorf("builder base's Python is %s but runtime base's is %s: use bases that install Python at the same path (the venv links to it)", builder.Interpreter, runtime.Interpreter)
	}
	return nil
}
