package recipe

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Only a registry that could not answer is an outage: a tag it says does not exist,
// or a pull it refuses, must fail as before.
func TestRegistryUnreachableTellsAnOutageFromAnAnswer(t *testing.T) {
	outages := []string{
		`failed to resolve image "docker.io/library/python:3.13" (platform: "linux/amd64"): failed to do request: Head "https://registry-1.docker.io/v2/library/python/manifests/3.13": dial tcp 127.0.0.1:443: connect: connection refused`,
		`failed to resolve image "python:3.13": failed to do request: Head "https://x/v2/library/python/manifests/3.13": dial tcp: lookup registry-1.docker.io: no such host`,
		`failed to resolve image "python:3.13": failed to do request: Head "https://x": net/http: TLS handshake timeout`,
		`failed to resolve image "python:3.13": unexpected status from HEAD request to https://x: 429 Too Many Requests`,
		`failed to resolve image "python:3.13": toomanyrequests: You have reached your pull rate limit.`,
		`failed to resolve image "python:3.13": unexpected status from HEAD request to https://x: 503 Service Unavailable`,
		`failed to resolve image "python:3.13": dial tcp 10.0.0.1:443: i/o timeout`,
	}
	for _, why := range outages {
		if !registryUnreachable(why) {
			t.Errorf("not taken for an outage: %s", why)
		}
	}
	answers := []string{
		`failed to resolve image "docker.io/library/python:3.99" (platform: "linux/amd64"): docker.io/library/python:3.99: not found`,
		`failed to resolve image "python:3.13": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`,
		`failed to resolve image "python:3.13": unexpected status from HEAD request to https://x: 401 Unauthorized`,
		`failed to parse image address python:3.13 : invalid reference format`,
	}
	for _, why := range answers {
		if registryUnreachable(why) {
			t.Errorf("taken for an outage: %s", why)
		}
	}
}

func TestRepositoryAndDigestOfAReference(t *testing.T) {
	for tag, want := range map[string]string{
		"python:3.13":                            "python",
		"127.0.0.1:5000/library/python:3.13":     "127.0.0.1:5000/library/python",
		"mirror.gcr.io/library/python:3.13-slim": "mirror.gcr.io/library/python",
		"127.0.0.1:5000/python":                  "127.0.0.1:5000/python",
	} {
		if got := repositoryOf(tag); got != want {
			t.Errorf("repositoryOf(%q) = %q, want %q", tag, got, want)
		}
	}
	digest := "sha256:" + strings.Repeat("ab", 32)
	if got := digestOf("docker.io/library/python:3.13@" + digest); got != digest {
		t.Errorf("digestOf = %q", got)
	}
	for _, ref := range []string{"python:3.13", "python@sha256:abc", "a container given by the caller (no registry digest)"} {
		if got := digestOf(ref); got != "" {
			t.Errorf("digestOf(%q) = %q, want none", ref, got)
		}
	}
	if got := digestOrEmpty("\n"); got != "" {
		t.Errorf("an empty record read as %q", got)
	}
}

// The CLI's record: a tag remembered is held, another is not, a moved tag is followed,
// and a damaged file is an empty record, not an error.
func TestFileBaseRecordRemembersTheLastDigest(t *testing.T) {
	ctx := context.Background()
	record := FileBaseRecord{Path: filepath.Join(t.TempDir(), "multistage", "bases.json")}
	first, second := "sha256:"+strings.Repeat("1", 64), "sha256:"+strings.Repeat("2", 64)
	if got, err := record.Held(ctx, "python:3.13"); got != "" || err != nil {
		t.Fatalf("an empty record holds %q (%v)", got, err)
	}
	for _, step := range []struct{ tag, digest string }{{"python:3.13", first}, {"python:3.13-slim", first}, {"python:3.13", second}} {
		if err := record.Remember(ctx, step.tag, step.digest); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := record.Held(ctx, "python:3.13"); got != second {
		t.Errorf("python:3.13 holds %q, want the last digest %q", got, second)
	}
	if got, _ := record.Held(ctx, "python:3.13-slim"); got != first {
		t.Errorf("python:3.13-slim holds %q, want %q", got, first)
	}
	if got, _ := record.Held(ctx, "python:3.12"); got != "" {
		t.Errorf("python:3.12 was never resolved, yet holds %q", got)
	}
}

func TestNothingHeldIsOneLineNamingTheBaseAndTheFix(t *testing.T) {
	err := nothingHeld("python:3.12-slim", "failed to resolve image: connection refused")
	line := err.Error()
	for _, want := range []string{"python:3.12-slim", "registry is unreachable", "holds no image", "--runtime-base", "connection refused"} {
		if !strings.Contains(line, want) {
			t.Errorf("%q lacks %q", line, want)
		}
	}
	if strings.Contains(line, "\n") {
		t.Errorf("more than one line: %q", line)
	}
}

// The bases are remembered beside the build, both at once: no tag's write may be lost
// to another's.
func TestFileBaseRecordKeepsTagsRememberedAtOnce(t *testing.T) {
	ctx := context.Background()
	record := FileBaseRecord{Path: filepath.Join(t.TempDir(), "bases.json")}
	digest := "sha256:" + strings.Repeat("3", 64)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if err := record.Remember(ctx, fmt.Sprintf("python:3.%d", i), digest); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i := range 20 {
		if held, _ := record.Held(ctx, fmt.Sprintf("python:3.%d", i)); held != digest {
			t.Errorf("python:3.%d was remembered beside the others, yet holds %q", i, held)
		}
	}
}
