package pipeline_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"dagger.io/dagger"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/multistage/multistage/internal/testenv"
	"github.com/multistage/multistage/pipeline"
	"github.com/multistage/multistage/pipeline/recipe"
	"github.com/multistage/multistage/pipeline/report"
)

// stoppableRegistry is a registry in this process that the test can stop, as an
// outage would: afterwards its port refuses connections.
func stoppableRegistry(t *testing.T) (host string, stop func()) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := &http.Server{Handler: registry.New()}
	go server.Serve(listener)
	stop = func() { server.Close() }
	t.Cleanup(stop)
	return listener.Addr().String(), stop
}

// pushKitBase pushes the kit's base (the layout beside its tarball) under tag, with a
// label of this run's: a digest no engine holds yet, so only this registry can give it.
func pushKitBase(t *testing.T, out, tag string) v1.Hash {
	t.Helper()
	from, err := os.ReadFile(out + ".from")
	if err != nil {
		t.Fatalf("%s has no layout beside it: run the kit again", out)
	}
	index, err := layout.ImageIndexFromPath(string(from))
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	image, err := index.Image(manifest.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	file, err := image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	config := file.Config
	config.Labels = map[string]string{"io.multistage.outage-test": time.Now().String()}
	for k, v := range file.Config.Labels {
		config.Labels[k] = v
	}
	if image, err = mutate.Config(image, config); err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(tag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, image); err != nil {
		t.Fatal(err)
	}
	digest, _ := image.Digest()
	return digest
}

// session is a session of its own: each `dagger call` is one, and within one the
// engine answers a tag it resolved already without asking the registry again.
func session(t *testing.T) *dagger.Client {
	t.Helper()
	testenv.Client(t) // skips without an engine
	client, err := dagger.Connect(context.Background(), dagger.WithLogOutput(os.Stderr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

// A registry outage with the bases held: the official bases come from a registry of
// the test's, resolved once with it up; it is stopped; the next run builds from the
// digests resolved before, serves, and says so in the report and the verdict. A tag
// never resolved fails in one line, and a tag the registry answers does not exist is
// no outage.
func TestARegistryOutageBuildsFromTheDigestResolvedBefore(t *testing.T) {
	k := testenv.Kit(t)
	host, stop := stoppableRegistry(t)
	repository := host + "/library/python"
	builderDigest := pushKitBase(t, k.Builder, repository+":3.13")
	runtimeDigest := pushKitBase(t, k.Runtime, repository+":3.13-slim")
	record := recipe.FileBaseRecord{Path: filepath.Join(t.TempDir(), "bases.json")}
	ctx := context.Background()
	options := func(client *dagger.Client, version string) pipeline.Options {
		return pipeline.Options{
			Options: recipe.Options{
				PythonVersion:  version,
				BaseRepository: repository,
				BaseRecord:     record,
				Wheels:         client.Host().Directory(k.Wheels),
				App:            client.Host().Directory(sampleApp),
			},
			CheckTimeout: 90 * time.Second,
			// The builder base is used by multi-stage: both bases are pulled.
			Variants: []string{recipe.VariantSingleStage, recipe.VariantMultiStage},
		}
	}
	compare := func(client *dagger.Client) *report.Report {
		p, err := pipeline.New(ctx, client, options(client, "3.13"))
		if err != nil {
			t.Fatal(err)
		}
		compared, _ := p.Compare(ctx)
		if !compared.OK {
			t.Fatalf("compare failed: %s", compared.Verdict())
		}
		return compared
	}

	warm := compare(session(t))
	for _, base := range warm.Bases {
		if base.Fallback != "" {
			t.Errorf("with the registry up, the %s base says %q", base.Role, base.Fallback)
		}
	}
	up := session(t)
	if _, err := pipeline.New(ctx, up, options(up, "3.12")); err == nil || strings.Contains(err.Error(), "unreachable") {
		t.Errorf("a tag the registry says it lacks: %v (want its own error, not an outage)", err)
	}

	if data, err := os.ReadFile(record.Path); err != nil {
		t.Fatalf("no record after a run with the registry up: %v", err)
	} else {
		t.Logf("record: %s", data)
	}
	stop()
	outage := compare(session(t))
	digests := map[string]string{"builder": builderDigest.String(), "runtime": runtimeDigest.String()}
	want := map[string]string{
		"builder": repository + ":3.13: registry unreachable, used the digest resolved before: " + digests["builder"],
		"runtime": repository + ":3.13-slim: registry unreachable, used the digest resolved before: " + digests["runtime"],
	}
	for _, base := range outage.Bases {
		if base.Fallback != want[base.Role] {
			t.Errorf("%s base in the outage: fallback %q, want %q", base.Role, base.Fallback, want[base.Role])
		}
		// The engine names a digested base as it names a resolved tag: repository:tag@digest.
		if !strings.HasPrefix(base.Ref, repository+":") || !strings.HasSuffix(base.Ref, "@"+digests[base.Role]) {
			t.Errorf("%s base in the outage is %s, want %s:TAG@%s", base.Role, base.Ref, repository, digests[base.Role])
		}
		if !strings.Contains(outage.Verdict(), want[base.Role]) {
			t.Errorf("the verdict does not say %q: %s", want[base.Role], outage.Verdict())
		}
	}
	t.Logf("verdict in the outage: %s", outage.Verdict())

	client := session(t)
	_, err := pipeline.New(ctx, client, options(client, "3.12"))
	if err == nil {
		t.Fatal("a tag never resolved, with the registry down, built")
	}
	line := err.Error()
	t.Logf("nothing held: %s", line)
	for _, part := range []string{repository + ":3.12", "registry is unreachable", "holds no image"} {
		if !strings.Contains(line, part) || strings.Contains(line, "\n") {
			t.Errorf("the error is not one line naming %q: %s", part, line)
		}
	}
}

// The module's record follows a tag that moves and comes back: each resolution writes
// the digest the tag has now, even one written before (an exec the engine kept from
// the first time would leave the record at the digest in between).
func TestTheModulesRecordFollowsATagThatMovesBack(t *testing.T) {
	k := testenv.Kit(t)
	host, _ := stoppableRegistry(t)
	repository := host + "/library/python"
	first := pushKitBase(t, k.Runtime, repository+":first").String()
	second := pushKitBase(t, k.Builder, repository+":second").String()
	client := session(t)
	// The module reads the record with its own binary; any container that prints the
	// file the reader's variable names does here.
	reader := client.Container().Import(client.Host().File(k.Runtime)).
		WithEntrypoint([]string{"sh", "-c", `cat "$` + recipe.RecordReaderEnv + `" 2>/dev/null; true`})
	record := recipe.VolumeBaseRecord{Client: client, Reader: func(context.Context) (*dagger.Container, error) { return reader, nil }}
	ctx := context.Background()
	tag := repository + ":moving-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	for _, digest := range []string{first, second, first} {
		if err := record.Remember(ctx, tag, digest); err != nil {
			t.Fatal(err)
		}
	}
	if held, err := record.Held(ctx, tag); err != nil || held != first {
		t.Fatalf("the tag moved to %s, then back to %s: the record holds %q (%v)", second, first, held, err)
	}
}
