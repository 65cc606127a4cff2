// Package failure turns what went wrong in the engine into one line a user can act on.
// In: an error from the Dagger library (an exec error of a build step, a connection
// error). Out: the step and what it said last, without trace ids or terminal colours.
package failure

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"dagger.io/dagger"
)

var (
	traceparent = regexp.MustCompile(`\s*\[traceparent:[^\]]*\]`)
	ansiColour  = regexp.MustCompile(`\x1b\[[0-9;]*[a-zA-Z]`)
)

// Line keeps the first line of an engine error, without its trace id or
// terminal colours (the Dagger CLI's progress can end up in a connection error).
func Line(err error) string {
	return traceparent.ReplaceAllString(FirstLine(ansiColour.ReplaceAllString(err.Error(), "")), "")
}

// FirstLine is the first line of s, without surrounding space.
func FirstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// Truncate keeps the first n bytes of s, marking a cut with an ellipsis.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Describe turns a failed build step (or any engine error) into one line: the step and what it
// said last (for pip, its ERROR lines).
func Describe(err error) string {
	var exec *dagger.ExecError
	if !errors.As(err, &exec) {
		return Line(err)
	}
	step := strings.Join(exec.Cmd, " ")
	if len(step) > 60 {
		step = step[:60] + "…"
	}
	return fmt.Sprintf("step `%s` failed (exit %d): %s", step, exec.ExitCode, lastErrorLines(exec.Stderr+"\n"+exec.Stdout))
}

// buildCause is how a package's build says why it failed, in the lines pip passes on.
var buildCause = regexp.MustCompile(`^Error: |fatal error: |: error: `)

// lastErrorLines picks pip's ERROR lines from an output, after the first line in
// which a package's own build said why it failed (setup.py's "Error: pg_config
// executable not found.", a compiler's "fatal error: …"), else its last line.
func lastErrorLines(output string) string {
	var errs []string
	last, cause := "", ""
	for _, line := range strings.Split(output, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "ERROR:") {
			errs = append(errs, line)
		}
		if cause == "" && buildCause.MatchString(line) {
			cause = line
		}
		if line != "" {
			last = line
		}
	}
	if cause != "" {
		errs = append([]string{cause}, errs...)
	}
	if len(errs) > 0 {
		return strings.Join(errs, " ")
	}
	return last
}
