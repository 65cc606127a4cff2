package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/multistage/multistage/pipeline/failure"
)

// probeInterval is the pause between two requests while the app is not answering yet.
const probeInterval = 10 * time.Millisecond

// wrongAnswersToStop: an app that answers wrongly this many times will not change its mind.
const wrongAnswersToStop = 3

// maxBody bounds what the probe reads of an answer, and so what --expect can match.
const maxBody = 64 << 10

// maxReportedBody is how much of the body the report keeps: the first bytes.
const maxReportedBody = 512

// appExited is said on a refused connection on the tunnel: the engine closes a tunnel's
// listener when the service behind it exits, and the listener exists from the moment
// the tunnel starts. An app that is alive but not listening yet gives accepted
// connections that end without an answer instead.
const appExited = "the app exited before answering"

// Probe is what a check asks and what counts as a good answer, like a Kubernetes
// httpGet probe: GET Path, a status of 200–399 unless Status pins one, and, when
// given, a body that contains Contains and matches Regex. The images' HEALTHCHECK
// asks the same path and accepts the same statuses, so Docker and the check agree.
type Probe struct {
	Path string `json:"path"`
	// Status pins the one status that passes; 0 accepts 200–399.
	Status   int    `json:"status,omitempty"`
	Contains string `json:"contains,omitempty"`
	Regex    string `json:"regex,omitempty"`
	// BodyFrom says where the body match came from ("--expect", the project's
	// pyproject.toml); empty when the body is not checked.
	BodyFrom string `json:"bodyFrom,omitempty"`
	regex    *regexp.Regexp
}

// accepts says whether an answer passes, and if not, what was wanted.
func (p Probe) accepts(status int, body string) (bool, string) {
	switch {
	case p.Status != 0 && status != p.Status:
		return false, fmt.Sprintf("status %d", p.Status)
	case p.Status == 0 && (status < 200 || status > 399):
		return false, "status 200–399"
	case p.Contains != "" && !strings.Contains(body, p.Contains):
		return false, fmt.Sprintf("a body containing %q", p.Contains)
	case p.regex != nil && !p.regex.MatchString(body):
		return false, fmt.Sprintf("a body matching %q", p.Regex)
	}
	return true, ""
}

// Describe says in words what the probe asks: `GET /health, status 200–399, body containing "ok"`.
func (p Probe) Describe() string {
	parts := []string{"GET " + p.Path}
	if p.Status != 0 {
		parts = append(parts, fmt.Sprintf("status %d", p.Status))
	} else {
		parts = append(parts, "status 200–399")
	}
	if p.Contains != "" {
		parts = append(parts, fmt.Sprintf("body containing %q", p.Contains))
	}
	if p.Regex != "" {
		parts = append(parts, fmt.Sprintf("body matching %q", p.Regex))
	}
	return strings.Join(parts, ", ")
}

// pollUntilAnswered requests address+probe.Path, the tunnel to the app's port, until
// the probe accepts an answer, the app exits, it answers wrongly a few times, or
// timeout passes. Redirects are not followed: a 3xx is an answer, as for a
// Kubernetes probe or curl without -L.
func pollUntilAnswered(ctx context.Context, address string, port int, probe Probe, timeout time.Duration) CheckResult {
	deadline := time.Now().Add(timeout)
	// A new connection per request, and no proxy from the environment: the tunnel is local.
	client := &http.Client{
		Transport:     &http.Transport{DisableKeepAlives: true, Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	var result CheckResult
	wrongAnswers := 0
	for {
		result.Attempts++
		status, body, server, err := getOnce(ctx, client, address+probe.Path, time.Until(deadline))
		result.Status, result.Body, result.Server = status, failure.Truncate(body, maxReportedBody), server
		good, want := probe.accepts(status, body)
		switch {
		case err == nil && good:
			result.Passed, result.Error = true, ""
			return result
		case err == nil:
			wrongAnswers++
			result.Error = fmt.Sprintf("GET %s answered %d %q, want %s", probe.Path, status, failure.Truncate(body, 80), want)
			if wrongAnswers >= wrongAnswersToStop {
				return result
			}
		case errors.Is(err, syscall.ECONNREFUSED):
			result.Error = appExited
			return result
		default:
			// The tunnel took the connection but the app's port gave no HTTP answer.
			result.Error = fmt.Sprintf("no HTTP answer on port %d: %s", port, errorCause(err))
		}
		if time.Now().Add(probeInterval).After(deadline) || ctx.Err() != nil {
			result.Error = fmt.Sprintf("no good answer within %s (%s)", timeout, result.Error)
			return result
		}
		time.Sleep(probeInterval)
	}
}

// getOnce makes one request: the status, (the start of) the body and the Server
// header, or why there was no HTTP answer.
func getOnce(ctx context.Context, client *http.Client, address string, remaining time.Duration) (int, string, string, error) {
	ctx, cancel := context.WithTimeout(ctx, max(200*time.Millisecond, min(3*time.Second, remaining)))
	defer cancel()
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, address, nil)
	if err != nil {
		return 0, "", "", err
	}
	response, err := client.Do(request)
	if err != nil {
		return 0, "", "", err
	}
	defer response.Body.Close()
	body, err := io.ReadAll(io.LimitReader(response.Body, maxBody))
	if err != nil {
		return 0, "", "", err
	}
	return response.StatusCode, string(body), response.Header.Get("Server"), nil
}

// errorCause drops the request from a client error ("Get \"http://…\": EOF" → "EOF").
func errorCause(err error) string {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err.Error()
	}
	return err.Error()
}
