package recipe

import (
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/multistage/multistage/pipeline/project"
)

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
			command := healthcheckCommand(port, c.probe)
			err := exec.Command(python, command[1:]...).Run()
			if healthy := err == nil; healthy != c.health {
				t.Fatalf("want healthy=%v, got %v (%v)", c.health, healthy, err)
			}
		})
	}
}

// answering serves status at path, 404 elsewhere (a 3xx with a Location, as an app's redirect).
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
