package check

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/multistage/multistage/pipeline/project"
)

// helloProbe asks / for a body containing "hello".
var helloProbe = project.Probe{Path: "/", Contains: "hello"}

// These drive the probe against real local sockets shaped like the engine's tunnel:
// an app that answers late, wrongly, never, or has exited (listener closed).

func TestProbeWaitsForTheRightAnswer(t *testing.T) {
	var requests atomic.Int32
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) < 3 { // not ready yet: the connection ends without an answer
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		w.Header().Set("Server", "gunicorn")
		w.Write([]byte("hello"))
	}))
	defer server.Close()
	result := pollUntilAnswered(context.Background(), server.URL, 5000, helloProbe, 5*time.Second)
	if !result.Passed || result.Status != 200 || result.Body != "hello" || result.Server != "gunicorn" || result.Attempts != 3 || result.Error != "" {
		t.Fatalf("want a pass on the third request, got %+v", result)
	}
}

func TestProbeStopsAfterAFewWrongAnswers(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		w.Write([]byte("oops"))
	}))
	defer server.Close()
	result := pollUntilAnswered(context.Background(), server.URL, 5000, helloProbe, time.Minute)
	if result.Passed || result.Attempts != wrongAnswersToStop || !strings.Contains(result.Error, `GET / answered 500 "oops", want status 200–399`) {
		t.Fatalf("want a failure after %d wrong answers, got %+v", wrongAnswersToStop, result)
	}
}

func TestProbeSaysTheAppExitedWhenTheTunnelCloses(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := listener.Addr().String()
	listener.Close() // what the engine does to a tunnel whose service exited
	start := time.Now()
	result := pollUntilAnswered(context.Background(), "http://"+address, 5000, helloProbe, time.Minute)
	if result.Passed || result.Error != AppExited || time.Since(start) > 5*time.Second {
		t.Fatalf("want %q at once, got %+v after %s", AppExited, result, time.Since(start))
	}
}

func TestProbeGivesUpAtTheTimeoutOnAnAppThatNeverAnswers(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	go func() { // the tunnel takes each connection, the app's port gives nothing
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	start := time.Now()
	result := pollUntilAnswered(context.Background(), "http://"+listener.Addr().String(), 5000, helloProbe, time.Second)
	took := time.Since(start)
	// The cause is EOF or a reset, as the closing races the request.
	if result.Passed || !strings.HasPrefix(result.Error, "no good answer within 1s (no HTTP answer on port 5000: ") {
		t.Fatalf("want a timeout naming the port, got %+v", result)
	}
	if took < 900*time.Millisecond || took > 5*time.Second {
		t.Fatalf("gave up after %s with a 1s timeout", took)
	}
}

// answering serves status and body at path, and 404 elsewhere.
func answering(path string, status int, body string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RequestURI() != path {
			http.NotFound(w, r)
			return
		}
		if status >= 300 && status < 400 {
			w.Header().Set("Location", "/login")
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
}

func TestProbeJudgesLikeAKubernetesHTTPProbe(t *testing.T) {
	cases := []struct {
		name   string
		served func() *httptest.Server
		probe  project.Probe
		pass   bool
		error  string
	}{
		{"status alone, 200", func() *httptest.Server { return answering("/", 200, "anything") }, project.Probe{Path: "/"}, true, ""},
		{"a redirect is an answer, not followed", func() *httptest.Server { return answering("/", 302, "") }, project.Probe{Path: "/"}, true, ""},
		{"an API without /: 404 fails", func() *httptest.Server { return answering("/health", 200, "ok") }, project.Probe{Path: "/"}, false, `GET / answered 404 "404 page not found\n", want status 200–399`},
		{"the API at its own path", func() *httptest.Server { return answering("/health", 200, "ok") }, project.Probe{Path: "/health"}, true, ""},
		{"500 fails with its status", func() *httptest.Server { return answering("/health", 500, "boom") }, project.Probe{Path: "/health"}, false, `GET /health answered 500 "boom", want status 200–399`},
		{"a pinned status", func() *httptest.Server { return answering("/", 204, "") }, project.Probe{Path: "/", Status: 200}, false, `GET / answered 204 "", want status 200`},
		{"JSON contains", func() *httptest.Server { return answering("/", 200, `{"status":"ok","version":2}`) }, project.Probe{Path: "/", Contains: `"status":"ok"`}, true, ""},
		{"JSON does not contain", func() *httptest.Server { return answering("/", 200, `{"status":"down"}`) }, project.Probe{Path: "/", Contains: `"status":"ok"`}, false, `want a body containing "\"status\":\"ok\""`},
		{"regex", func() *httptest.Server { return answering("/", 200, "version 2.31") }, project.Probe{Path: "/", Regex: `version \d+\.\d+`}, true, ""},
		{"regex misses", func() *httptest.Server { return answering("/", 200, "version x") }, project.Probe{Path: "/", Regex: `version \d+`}, false, `want a body matching "version \\d+"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			server := c.served()
			defer server.Close()
			probe := project.ProbeFor(project.CheckSpec{Path: c.probe.Path, Status: c.probe.Status, Expect: c.probe.Contains, ExpectRegex: c.probe.Regex}, nil)
			result := pollUntilAnswered(context.Background(), server.URL, 5000, probe, 5*time.Second)
			if result.Passed != c.pass || !strings.Contains(result.Error, c.error) {
				t.Fatalf("want passed=%v with error containing %q, got %+v", c.pass, c.error, result)
			}
		})
	}
}

func TestProbeTakesTheProjectsOwnCheckUnlessOptionsSayOtherwise(t *testing.T) {
	own := &project.CheckSpec{Path: "/health", Status: 200, Expect: "ok"}
	if got := project.ProbeFor(project.CheckSpec{}, own); got.Path != "/health" || got.Status != 200 || got.Contains != "ok" || got.BodyFrom != project.CheckSource {
		t.Fatalf("the project's own check was not taken: %+v", got)
	}
	got := project.ProbeFor(project.CheckSpec{Path: "/ready", ExpectRegex: "^up"}, own)
	if got.Path != "/ready" || got.Status != 200 || got.Contains != "" || got.Regex != "^up" || got.BodyFrom != "--expect" {
		t.Fatalf("options did not win over the project's check: %+v", got)
	}
	if got := project.ProbeFor(project.CheckSpec{}, nil); got.Path != "/" || got.Status != 0 || got.Contains != "" || got.Regex != "" || got.BodyFrom != "" {
		t.Fatalf("without either, the probe is GET / by status alone: %+v", got)
	}
	if got := project.ProbeFor(project.CheckSpec{}, nil).Describe(); got != "GET /, status 200–399" {
		t.Fatalf("describe: %q", got)
	}
}

// The production images' HEALTHCHECK is the probe's path and statuses, run here by
// the host's python3 (the images run it with theirs) against real answers.
func TestHealthcheckAsksThePathAndAcceptsTheStatuses(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 on this machine: the healthcheck script is run with it")
	}
	cases := []struct {
		name   string
		status int
		probe  project.Probe
		health bool
	}{
		{"200 at the path", 200, project.Probe{Path: "/health"}, true},
		{"a redirect counts", 302, project.Probe{Path: "/health"}, true},
		{"500 is unhealthy", 500, project.Probe{Path: "/health"}, false},
		{"another path is 404", 200, project.Probe{Path: "/"}, false},
		{"a pinned status", 204, project.Probe{Path: "/health", Status: 200}, false},
		{"the pinned status", 204, project.Probe{Path: "/health", Status: 204}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			server := answering("/health", c.status, "")
			defer server.Close()
			port, _ := strconv.Atoi(server.URL[strings.LastIndex(server.URL, ":")+1:])
			command := c.probe.HealthcheckCommand(port)
			err := exec.Command(python, command[1:]...).Run()
			if healthy := err == nil; healthy != c.health {
				t.Fatalf("want healthy=%v, got %v (%v)", c.health, healthy, err)
			}
		})
	}
}
