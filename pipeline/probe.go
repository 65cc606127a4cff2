package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"syscall"
	"time"
)

// probeInterval is the pause between two requests while the app is not answering yet.
const probeInterval = 10 * time.Millisecond

// wrongAnswersToStop: an app that answers wrongly this many times will not change its mind.
const wrongAnswersToStop = 3

// maxBody bounds what the probe reads of an answer.
const maxBody = 4096

// appExited is said on a refused connection on the tunnel: the engine closes a tunnel's
// listener when the service behind it exits, and the listener exists from the moment
// the tunnel starts. An app that is alive but not listening yet gives accepted
// connections that end without an answer instead.
const appExited = "the app exited before answering"

// pollUntilAnswered requests address, the tunnel to the app's port, until it answers 200
// with expected, the app exits, it answers wrongly a few times, or timeout passes.
func pollUntilAnswered(ctx context.Context, address string, port int, expected string, timeout time.Duration) CheckResult {
	deadline := time.Now().Add(timeout)
	// A new connection per request, and no proxy from the environment: the tunnel is local.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	var result CheckResult
	wrongAnswers := 0
	for {
		result.Attempts++
		status, body, server, err := getOnce(ctx, client, address, time.Until(deadline))
		result.Status, result.Body, result.Server = status, body, server
		switch {
		case err == nil && status == 200 && body == expected:
			result.Passed, result.Error = true, ""
			return result
		case err == nil:
			wrongAnswers++
			result.Error = fmt.Sprintf("answered %d %q, want 200 %q", status, truncate(body, 80), expected)
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
