package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"syscall"
	"time"

	"github.com/multistage/multistage/pipeline/failure"
	"github.com/multistage/multistage/pipeline/project"
)

// probeInterval is the pause between two requests while the app is not answering yet.
const probeInterval = 10 * time.Millisecond

// wrongAnswersToStop: an app that answers wrongly this many times will not change its mind.
const wrongAnswersToStop = 3

// maxBody bounds what the probe reads of an answer, and so what --expect can match.
const maxBody = 64 << 10

// maxReportedBody is how much of the body the report keeps: the first bytes.
const maxReportedBody = 512

// AppExited is said on a refused connection on the tunnel: the engine closes a tunnel's
// listener when the service behind it exits, and the listener exists from the moment
// the tunnel starts. An app that is alive but not listening yet gives accepted
// connections that end without an answer instead.
const AppExited = "the app exited before answering"

// pollUntilAnswered requests address+probe.Path, the tunnel to the app's port, until
// the probe accepts an answer, the app exits, it answers wrongly a few times, or
// timeout passes. Redirects are not followed: a 3xx is an answer, as for a
// Kubernetes probe or curl without -L.
func pollUntilAnswered(ctx context.Context, address string, port int, probe project.Probe, timeout time.Duration) Result {
	deadline := time.Now().Add(timeout)
	// A new connection per request, and no proxy from the environment: the tunnel is local.
	client := &http.Client{
		Transport:     &http.Transport{DisableKeepAlives: true, Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	var result Result
	wrongAnswers := 0
	for {
		result.Attempts++
		status, body, server, err := getOnce(ctx, client, address+probe.Path, time.Until(deadline))
		result.Status, result.Body, result.Server = status, failure.Truncate(body, maxReportedBody), server
		good, want := probe.Accepts(status, body)
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
			result.Error = AppExited
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
