// Package check proves that an image serves. In: a built image and a Spec (the port,
// the probe, the time allowed). Out: a Result of what was measured (the answer, its
// status and server, the time to the first good answer) and, when it failed, the
// app's last output lines. The image runs as a Dagger service and the probe asks it
// through a tunnel from this client, as `docker run -p` and curl would.
package check

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline/failure"
	"github.com/multistage/multistage/pipeline/project"
	"github.com/multistage/multistage/pipeline/scripts"
)

// logLines is how many of the app's last output lines a failed check keeps.
const logLines = 20

// Result is what the service check saw. Every field is measured.
type Result struct {
	Passed bool `json:"passed"`
	// Status and Body are the last answer to the probe's GET (0 and "" without
	// one); Body keeps the first bytes.
	Status int    `json:"status"`
	Body   string `json:"body"`
	// Server is the answer's Server header: which server answered (gunicorn, uvicorn,
	// Werkzeug), where it says.
	Server string `json:"server,omitempty"`
	// Attempts counts the requests the probe made.
	Attempts int `json:"attempts"`
	// ReadySeconds is the time from starting the service to the first good answer.
	ReadySeconds float64 `json:"readySeconds"`
	Error        string  `json:"error,omitempty"`
	// Logs are the app's last output lines, kept when the check fails.
	Logs []string `json:"logs,omitempty"`
}

// Spec is what a check asks of an image.
type Spec struct {
	// Port is where the app listens.
	Port int
	// Probe is the request and what counts as a good answer.
	Probe project.Probe
	// Timeout bounds the check, from starting the service to the first good answer.
	Timeout time.Duration
}

// Checker checks images for one client.
type Checker struct {
	client  *dagger.Client
	scripts *scripts.Set
	spec    Spec
}

// New is a checker of images that client builds; helpers runs logs.py in them.
func New(client *dagger.Client, helpers *scripts.Set, spec Spec) *Checker {
	return &Checker{client: client, scripts: helpers, spec: spec}
}

// Serving starts a built image as a service and probes it until it answers as the
// probe wants, giving up at the spec's timeout. The request runs every time (no cached
// result). On failure it adds the app's last log lines.
func (c *Checker) Serving(ctx context.Context, image *dagger.Container) Result {
	started := time.Now()
	result, err := c.runProbe(ctx, image)
	if err != nil {
		result = Result{Error: err.Error()}
	}
	if result.Passed {
		result.ReadySeconds = roundSeconds(time.Since(started))
		return result
	}
	result.Logs = c.lastLogLines(ctx, image)
	return result
}

// runProbe runs image as a service and asks it through a host tunnel: the request
// comes from outside the app's container, to its published port, as `docker run -p`
// and curl would, without a probe container to start.
func (c *Checker) runProbe(ctx context.Context, image *dagger.Container) (Result, error) {
	timeout := c.spec.Timeout
	// The probe gives up on its own at the timeout; the context is the backstop for
	// an engine that does not answer.
	ctx, cancel := context.WithTimeout(ctx, timeout+15*time.Second)
	defer cancel()

	// A service of this check's own: the engine shares a service among clients that
	// start the same one, and another client's stop would end it under this probe.
	nonce := strconv.FormatInt(time.Now().UnixNano(), 10)
	service := image.
		WithEnvVariable("MULTISTAGE_CHECK_ID", nonce).
		// Dagger would hold the tunnel back until the image's own HEALTHCHECK passes,
		// which retries at its interval; the probe is the readiness check here.
		WithoutDockerHealthcheck().
		WithExposedPort(c.spec.Port, dagger.ContainerWithExposedPortOpts{ExperimentalSkipHealthcheck: true}).
		AsService(dagger.ContainerAsServiceOpts{UseEntrypoint: true})
	tunnel, err := c.client.Host().Tunnel(service, dagger.HostTunnelOpts{
		Ports: []dagger.PortForward{{Backend: c.spec.Port, Protocol: dagger.NetworkProtocolTcp}},
	}).Start(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("starting the app: %s", failure.Line(err))
	}
	// Stopping takes the engine 0.1–0.2 s: do it beside the caller's next steps.
	defer func() { go stopService(service) }()
	endpoint, err := tunnel.Endpoint(ctx, dagger.ServiceEndpointOpts{Scheme: "http"})
	if err != nil {
		return Result{}, fmt.Errorf("reaching the app's tunnel: %s", failure.Line(err))
	}
	return pollUntilAnswered(ctx, endpoint, c.spec.Port, c.spec.Probe, timeout), nil
}

// stopService stops the check's service, in its own bounded context: the caller's
// may be gone. Its tunnel closes when it exits.
func stopService(service *dagger.Service) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_, _ = service.Stop(ctx, dagger.ServiceStopOpts{Kill: true})
}

// lastLogLines runs the image's own command again for a few seconds and keeps its last
// output lines. Dagger has no call for a service's logs, so this is how a crash's
// traceback reaches the report.
func (c *Checker) lastLogLines(ctx context.Context, image *dagger.Container) []string {
	logs, _ := c.ExitsEarly(ctx, image)
	return logs
}

// logsStillRunning is logs.py's exit status when the command outlived its seconds.
const logsStillRunning = 3

// ExitsEarly runs the image's own command for up to a few seconds (logs.py) and returns
// its last output lines, and whether it ended (or could not start) in that time.
func (c *Checker) ExitsEarly(ctx context.Context, image *dagger.Container) (logs []string, exited bool) {
	command, err := imageCommand(ctx, image)
	if err != nil {
		return []string{"(no logs: " + err.Error() + ")"}, false
	}
	seconds := min(c.spec.Timeout, 5*time.Second)
	ctx, cancel := context.WithTimeout(ctx, seconds+30*time.Second)
	defer cancel()
	args := scripts.Command([]string{"python"}, "logs.py", append([]string{strconv.FormatFloat(seconds.Seconds(), 'f', 1, 64), strconv.Itoa(logLines)}, command...)...)
	run := c.scripts.Mount(image).
		WithEnvVariable("MULTISTAGE_LOGS_AT", strconv.FormatInt(time.Now().UnixNano(), 10)).
		WithExec(args, dagger.ContainerWithExecOpts{Expect: dagger.ReturnTypeAny})
	out, err := run.Stdout(ctx)
	if err != nil {
		return []string{"(no logs: " + failure.Line(err) + ")"}, false
	}
	code, err := run.ExitCode(ctx)
	return strings.Split(strings.TrimRight(out, "\n"), "\n"), err == nil && code != logsStillRunning
}

// imageCommand is what the image runs: entrypoint then default args.
func imageCommand(ctx context.Context, image *dagger.Container) ([]string, error) {
	entrypoint, err := image.Entrypoint(ctx)
	if err != nil {
		return nil, err
	}
	args, err := image.DefaultArgs(ctx)
	if err != nil {
		return nil, err
	}
	command := append(entrypoint, args...)
	if len(command) == 0 {
		return nil, errors.New("the image has no entrypoint and no default command")
	}
	return command, nil
}

func roundSeconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}
