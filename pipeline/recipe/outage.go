package recipe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"dagger.io/dagger"
	"github.com/multistage/multistage/internal/atomicfile"
	"github.com/multistage/multistage/pipeline/failure"
)

// A registry outage (Docker Hub down, its pull rate limit hit) must not stop a build
// whose bases the engine already holds: Docker and podman build from the local image.
// The official bases are resolved afresh every run (a moved tag is followed), and each
// digest resolved is remembered; when the registry cannot answer, the base is built
// from the digest remembered for its tag, and the report and its verdict say so.
//
// The engine itself cannot say which digest a tag had: v0.21.8 lists its cache as
// DagQL calls ("Container.from", no arguments) and describes pulled layers by their
// own digest ("import image layer sha256:…"), never by the tag they came from. So the
// pipeline keeps that record itself, where its front has storage that persists: the
// CLI in the user's cache directory (FileBaseRecord), the module, which has no disk of
// its own, in an engine cache volume (VolumeBaseRecord).

// BaseRecord remembers the digest each official base tag resolved to last.
type BaseRecord interface {
	// Held is the digest ("sha256:…") last resolved for tag, "" when none is known.
	Held(ctx context.Context, tag string) (string, error)
	// Remember records the digest tag resolved to now.
	Remember(ctx context.Context, tag, digest string) error
}

// DefaultBaseRepository holds the official bases: Docker Hub's python.
const DefaultBaseRepository = "python"

// officialTag is the tag of an official base: python:3.13, or python:3.13-slim.
func (r *Recipes) officialTag(suffix string) string {
	repository := r.opts.BaseRepository
	if repository == "" {
		repository = DefaultBaseRepository
	}
	return repository + ":" + r.opts.PythonVersion + suffix
}

// resolvedBase is an official base after resolution: its digested reference, and the
// sentence the report and the verdict carry when it came from the record.
type resolvedBase struct {
	ref      string
	fallback string
}

// resolveBase resolves tag afresh and remembers its digest; when the registry cannot
// be reached, it falls back to the digest remembered, provided the engine still holds
// that image. Any other failure (a tag that does not exist, say) is not an outage.
func (r *Recipes) resolveBase(ctx context.Context, tag string) (resolvedBase, error) {
	ref, err := r.client.Container().From(tag).ImageRef(ctx)
	if err == nil {
		if record := r.opts.BaseRecord; record != nil {
			if digest := digestOf(ref); digest != "" {
				// Written beside the build (the module's record is an exec), in a bounded
				// context of its own; the record serves a later outage, and failing to
				// write it must not fail this run.
				r.recording.Go(func() {
					ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
					defer cancel()
					_ = record.Remember(ctx, tag, digest)
				})
			}
		}
		return resolvedBase{ref: ref}, nil
	}
	why := failure.Line(err)
	if !registryUnreachable(why) {
		return resolvedBase{}, fmt.Errorf("resolving the base %s: %s", tag, why)
	}
	digest := ""
	if r.opts.BaseRecord != nil {
		digest, _ = r.opts.BaseRecord.Held(ctx, tag)
	}
	if digest == "" {
		return resolvedBase{}, nothingHeld(tag, why)
	}
	held := repositoryOf(tag) + "@" + digest
	// A digested reference is resolved from the engine's store without asking the
	// registry; if the engine pruned the image since, that fails too. Its layers are
	// not asked for here: a base the variants built do not use (the builder, for
	// single-stage alone) may never have been pulled, and need not be.
	// The engine's answer names it as it names a resolved tag (python@… becomes
	// docker.io/library/python@…), so the report's base lines read alike either way.
	named, err := r.client.Container().From(held).ImageRef(ctx)
	if err != nil {
		return resolvedBase{}, nothingHeld(tag, why)
	}
	return resolvedBase{ref: named, fallback: fallbackSentence(tag, digest)}, nil
}

// nothingHeld is the one line an outage ends with when no image of the tag is held.
func nothingHeld(tag, why string) error {
	return fmt.Errorf("%s: the registry is unreachable and the engine holds no image of it resolved before: "+
		"build once with the registry reachable, or name a base the engine holds (--builder-base, --runtime-base) (%s)", tag, why)
}

// unreachable are the ways a registry that cannot answer shows in the engine's error:
// the network (refused, reset, no route, no such host, timeouts), a rate limit (429),
// a server error (5xx). "not found", "unauthorized" and "denied" are answers: the
// registry was reached and said no, and building from an older digest would hide that.
var unreachable = regexp.MustCompile(`(?i)connection refused|connection reset|no route to host|network is unreachable|` +
	`no such host|server misbehaving|i/o timeout|tls handshake timeout|context deadline exceeded|` +
	`toomanyrequests|too many requests|\b429\b|\b50[0234]\b|service unavailable|bad gateway|gateway timeout|` +
	`unexpected eof|: eof$`)

// registryUnreachable says whether an engine error means the registry could not answer.
func registryUnreachable(why string) bool {
	return unreachable.MatchString(why)
}

var digestPattern = regexp.MustCompile(`@(sha256:[0-9a-f]{64})$`)

// digestOf is the digest of a digested reference, "" for any other.
func digestOf(ref string) string {
	if m := digestPattern.FindStringSubmatch(ref); m != nil {
		return m[1]
	}
	return ""
}

// repositoryOf is a tag's reference without its tag: python:3.13 → python,
// host:5000/library/python:3.13 → host:5000/library/python.
func repositoryOf(tag string) string {
	slash := strings.LastIndex(tag, "/")
	if colon := strings.LastIndex(tag, ":"); colon > slash {
		return tag[:colon]
	}
	return tag
}

// FileBaseRecord keeps the record in a JSON file (tag → digest): the CLI's, in the
// user's cache directory. An engine pruned since is caught by the fallback's check.
type FileBaseRecord struct{ Path string }

// DefaultBaseRecordPath is the CLI's record: multistage/bases.json in the user's cache directory.
func DefaultBaseRecordPath() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "multistage", "bases.json")
}

func (f FileBaseRecord) read() map[string]string {
	held := map[string]string{}
	if data, err := os.ReadFile(f.Path); err == nil {
		// A damaged record is an empty one: the next resolution writes it whole.
		_ = json.Unmarshal(data, &held)
	}
	return held
}

// Held implements BaseRecord.
func (f FileBaseRecord) Held(_ context.Context, tag string) (string, error) {
	return f.read()[tag], nil
}

// fileRecords serializes Remember within this process: the bases are remembered beside
// the build, both at once, and each write reads the file and replaces it whole.
var fileRecords sync.Mutex

// Remember implements BaseRecord; the file is replaced whole, never left half written.
func (f FileBaseRecord) Remember(_ context.Context, tag, digest string) error {
	fileRecords.Lock()
	defer fileRecords.Unlock()
	held := f.read()
	if held[tag] == digest {
		return nil
	}
	held[tag] = digest
	data, err := json.MarshalIndent(held, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(f.Path, func(tmp string) error { return os.WriteFile(tmp, append(data, '\n'), 0o644) })
}

// VolumeBaseRecord keeps the record in an engine cache volume, one file per tag: the
// module's, whose own disk is gone after each call. A cache volume can be read only by
// a command run in a container, and in an outage no base can be pulled to run one; so
// Reader is a container the engine holds whatever the registry does (the module runs
// its own static binary in an empty container, see RecordReaderMain). Writing happens
// right after a resolution, in the base just resolved.
type VolumeBaseRecord struct {
	Client *dagger.Client
	// Reader makes the reading container; called only in an outage.
	Reader func(context.Context) (*dagger.Container, error)
}

const (
	recordVolume = "multistage-base-record"
	recordMount  = "/record"
	// RecordReaderEnv names, in the reader's environment, the file it prints.
	RecordReaderEnv = "MULTISTAGE_RECORD_READ"
)

// recordFile is the tag's file in the volume: the tag with its separators replaced.
func recordFile(tag string) string {
	return strings.NewReplacer("/", "_", ":", "_", "@", "_").Replace(tag)
}

func (v VolumeBaseRecord) withVolume(c *dagger.Container) *dagger.Container {
	return c.WithMountedCache(recordMount, v.Client.CacheVolume(recordVolume))
}

// Held implements BaseRecord.
func (v VolumeBaseRecord) Held(ctx context.Context, tag string) (string, error) {
	if v.Reader == nil {
		return "", errors.New("no container to read the record in")
	}
	reader, err := v.Reader(ctx)
	if err != nil {
		return "", err
	}
	out, err := v.withVolume(reader).
		// The engine keeps an exec's result; the record is read anew each time.
		WithEnvVariable("MULTISTAGE_RECORD_AT", strconv.FormatInt(time.Now().UnixNano(), 10)).
		WithEnvVariable(RecordReaderEnv, recordMount+"/"+recordFile(tag)).
		WithExec(nil, dagger.ContainerWithExecOpts{UseEntrypoint: true}).
		Stdout(ctx)
	if err != nil {
		return "", err
	}
	return digestOrEmpty(strings.TrimSpace(out)), nil
}

// Remember implements BaseRecord. Every resolution writes, even of a digest written
// before: a tag that moved and came back must be recorded at the digest it has now,
// and an exec the engine kept would not run again.
func (v VolumeBaseRecord) Remember(ctx context.Context, tag, digest string) error {
	writer := v.Client.Container().From(repositoryOf(tag) + "@" + digest)
	_, err := v.withVolume(writer).
		WithEnvVariable("MULTISTAGE_RECORD_AT", strconv.FormatInt(time.Now().UnixNano(), 10)).
		WithExec([]string{"sh", "-c", `printf %s "$2" > "$1.tmp" && mv "$1.tmp" "$1"`, "sh", recordMount + "/" + recordFile(tag), digest}).
		Sync(ctx)
	return err
}

func digestOrEmpty(s string) string {
	if digestOf("@"+s) != "" {
		return s
	}
	return ""
}

// RecordReaderMain makes a static binary the record's reader: called first thing in
// main (or init), it prints the file RecordReaderEnv names and exits when that is
// set, and returns at once otherwise. It needs nothing from the container it runs in.
func RecordReaderMain() {
	path := os.Getenv(RecordReaderEnv)
	if path == "" {
		return
	}
	data, err := os.ReadFile(path)
	if err == nil {
		os.Stdout.Write(data)
	}
	os.Exit(0)
}

// fallbackSentence is what the report and the verdict say of a base built from the record.
func fallbackSentence(tag, digest string) string {
	return tag + ": registry unreachable, used the digest resolved before: " + digest
}
