// Package testenv gives the integration tests what they share: a connection to a real
// Dagger engine and the offline kit, or a one-line reason to skip.
package testenv

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline/bench"
	"github.com/multistage/multistage/pipeline/kit"
)

// RepoRoot is the repository's top directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// EngineReachable says whether a Dagger engine can be reached without downloading
// anything: inside `dagger run`, or with a runner host named.
func EngineReachable() bool {
	return os.Getenv("DAGGER_SESSION_PORT") != "" || os.Getenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST") != ""
}

// SkipReasonNoEngine is the one line engine tests skip with.
const SkipReasonNoEngine = "no Dagger engine: run `dagger run go test ./...` to include the engine tests"

var (
	clientOnce sync.Once
	client     *dagger.Client
	clientErr  error
)

// Client connects once per test binary to the engine, or skips the test.
func Client(t testing.TB) *dagger.Client {
	t.Helper()
	if !EngineReachable() {
		t.Skip(SkipReasonNoEngine)
	}
	clientOnce.Do(func() {
		client, clientErr = dagger.Connect(context.Background(), dagger.WithLogOutput(os.Stderr))
	})
	if clientErr != nil {
		t.Fatalf("connecting to the Dagger engine: %v", clientErr)
	}
	return client
}

var (
	kitOnce   sync.Once
	kitResult *kit.Result
	kitErr    error
)

// KitDir is where tests keep the offline kit: $MULTISTAGE_KIT_DIR, else a cache
// directory of the user's, so that every clone and CI run reuses it.
func KitDir() string {
	if dir := os.Getenv("MULTISTAGE_KIT_DIR"); dir != "" {
		return dir
	}
	if cache, err := os.UserCacheDir(); err == nil {
		return filepath.Join(cache, "multistage", "kit")
	}
	return filepath.Join(RepoRoot(), ".kit")
}

// missingTool skips a test that needs a tool the machine lacks, but fails it where an
// engine is reachable: there the engine tests are expected to run, and a skip would
// pass a job that tested nothing (a CI runner without the kit's tools, say).
func missingTool(t testing.TB, reason string) {
	t.Helper()
	if EngineReachable() {
		t.Fatalf("%s (an engine is reachable, so the engine tests must run)", reason)
	}
	t.Skip(reason)
}

// KitSdists are the source distributions the test kit carries, so that tests build
// native dependencies from source as pip does from PyPI (testdata/psycopg2-app,
// testdata/pyyaml-app).
var KitSdists = []string{"psycopg2", "pyyaml"}

// Kit makes (or reuses) the offline kit, or skips when mmdebstrap is missing.
func Kit(t testing.TB) *kit.Result {
	t.Helper()
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		missingTool(t, "no mmdebstrap: apt-get install mmdebstrap to make the offline kit")
	}
	kitOnce.Do(func() {
		kitResult, kitErr = kit.Make(context.Background(), kit.Options{Dir: KitDir(), Sdists: KitSdists, Log: func(f string, a ...any) { t.Logf(f, a...) }})
	})
	if kitErr != nil {
		t.Fatalf("making the offline kit: %v", kitErr)
	}
	return kitResult
}

// Podman returns podman's path, or skips.
func Podman(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("podman")
	if err != nil {
		missingTool(t, "no podman: apt-get install podman runc to include the podman tests")
	}
	return path
}

// PodmanRunFlags keep podman inside this machine's limits.
var PodmanRunFlags = bench.PodmanRunFlags

// sessionVariables are those through which a client joins the session of `dagger run`.
var sessionVariables = []string{"DAGGER_SESSION_PORT", "DAGGER_SESSION_TOKEN"}

var ownSessionMu sync.Mutex

// OwnSession runs fn with a client of a session of its own, whose progress output
// (which steps ran, which came from the cache) it returns. A client that joins the
// session of `dagger run` has no progress output of its own to read.
func OwnSession(t testing.TB, fn func(*dagger.Client)) string {
	t.Helper()
	if !EngineReachable() {
		t.Skip(SkipReasonNoEngine)
	}
	var progress lockedBuffer
	ownSessionMu.Lock()
	saved := map[string]string{}
	for _, name := range sessionVariables {
		saved[name] = os.Getenv(name)
		os.Unsetenv(name)
	}
	client, err := dagger.Connect(context.Background(), dagger.WithLogOutput(&progress))
	for name, value := range saved {
		if value != "" {
			os.Setenv(name, value)
		}
	}
	ownSessionMu.Unlock()
	if err != nil {
		t.Fatalf("a session of its own: %v", err)
	}
	fn(client)
	client.Close() // the session's progress output ends when it closes
	return progress.String()
}

// lockedBuffer is a buffer the session's output goroutine and the test share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
