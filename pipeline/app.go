package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"dagger.io/dagger"
)

// DefaultCommand is how the app starts when no command is given.
var DefaultCommand = []string{"python", "app.py"}

// checkApp refuses an app directory that cannot build, before anything is built.
func (p *Pipeline) checkApp(ctx context.Context) error {
	entries, err := p.opts.App.Entries(ctx)
	if err != nil {
		return fmt.Errorf("app directory cannot be read (%s): pass a directory that holds app.py and requirements.txt", cleanEngineError(err))
	}
	if len(entries) == 0 {
		return errors.New("app directory is empty: add app.py and requirements.txt")
	}
	if !slices.Contains(entries, "requirements.txt") {
		return errors.New("app directory has no requirements.txt: add one, even empty")
	}
	if slices.Equal(p.opts.Command, DefaultCommand) && !slices.Contains(entries, "app.py") {
		return errors.New("app directory has no app.py: add it, or pass --command with the app's start command")
	}
	return nil
}

// checkWheels refuses an empty wheels directory: pip would only say it found nothing.
func (p *Pipeline) checkWheels(ctx context.Context) error {
	if p.opts.Wheels == nil {
		return nil
	}
	entries, err := p.opts.Wheels.Entries(ctx)
	if err != nil {
		return fmt.Errorf("wheels directory cannot be read (%s): pass the wheels/ of `go run ./ci kit --dir DIR`, or a directory of .whl files", cleanEngineError(err))
	}
	for _, e := range entries {
		if strings.HasSuffix(e, ".whl") {
			return nil
		}
	}
	return errors.New("wheels directory holds no .whl file: pass the wheels/ of `go run ./ci kit --dir DIR`, or a directory of .whl files")
}

// DescribeError turns a failed build step (or any engine error) into one line: the step and what it
// said last (for pip, its ERROR lines).
func DescribeError(err error) string {
	var exec *dagger.ExecError
	if !errors.As(err, &exec) {
		return cleanEngineError(err)
	}
	step := strings.Join(exec.Cmd, " ")
	if len(step) > 60 {
		step = step[:60] + "…"
	}
	return fmt.Sprintf("step `%s` failed (exit %d): %s", step, exec.ExitCode, lastErrorLines(exec.Stderr+"\n"+exec.Stdout))
}

// lastErrorLines picks pip's ERROR lines from an output, else its last line.
func lastErrorLines(output string) string {
	var errs []string
	last := ""
	for _, line := range strings.Split(output, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "ERROR:") {
			errs = append(errs, line)
		}
		if line != "" {
			last = line
		}
	}
	if len(errs) > 0 {
		return strings.Join(errs, " ")
	}
	return last
}
