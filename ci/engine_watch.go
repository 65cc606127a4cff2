package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"dagger.io/dagger"
)

// How the CLI notices that its engine went away: when the engine dies mid-run, calls
// to it can wait forever (measured: still waiting after 150 s), which in CI is a job
// hanging until the vendor's limit. A trivial question every watchInterval, each
// bounded by watchTimeout, and watchMisses unanswered in a row, end the run within
// 30 s of the loss.
var (
	watchInterval = 3 * time.Second
	watchTimeout  = 6 * time.Second
	watchMisses   = 2
)

// errEngineLost says the engine stopped answering; what was in flight is added.
var errEngineLost = errors.New("the Dagger engine was lost")

// watchEngine asks the engine its name until ctx ends; when it has not answered
// watchMisses times in a row, it cancels the run with errEngineLost as the cause.
func watchEngine(ctx context.Context, client *dagger.Client, cancel context.CancelCauseFunc) {
	misses := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(watchInterval):
		}
		askCtx, done := context.WithTimeout(ctx, watchTimeout)
		// A new Engine object each time: the client caches a field it has read.
		_, err := client.Engine().Name(askCtx)
		done()
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			misses = 0
			continue
		}
		if misses++; misses >= watchMisses {
			cancel(fmt.Errorf("%w (no answer for %s: %v)", errEngineLost, time.Duration(misses)*(watchInterval+watchTimeout), err))
			return
		}
	}
}

// engineGone asks the engine its name once, bounded; it says why when there is no answer.
func engineGone(ctx context.Context, client *dagger.Client) error {
	askCtx, done := context.WithTimeout(ctx, watchTimeout)
	defer done()
	if _, err := client.Engine().Name(askCtx); err != nil {
		return fmt.Errorf("%w (%v)", errEngineLost, err)
	}
	return nil
}

// lostEngineError is the one line the CLI ends with when the engine went away
// during command: what was in flight, and that no file was left half-written.
func lostEngineError(cause error, command string) error {
	endChildren()
	return fmt.Errorf("%v during %s: stopped, no file left half-written (run again when the engine is back)", cause, command)
}

// closeBounded closes the client, waiting at most a few seconds: closing a session
// whose engine is gone can wait forever too.
func closeBounded(client *dagger.Client) {
	closed := make(chan struct{})
	go func() {
		client.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
	}
}

// endChildren ends this process's children: the Dagger CLI's session process of a
// lost engine waits for it forever (and ignores SIGTERM), and would outlive the CLI.
func endChildren() {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	me := os.Getpid()
	for _, stat := range stats {
		data, err := os.ReadFile(stat)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: the comm may hold spaces, so read after its ')'.
		fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
		if len(fields) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(fields[1]); err == nil && ppid == me {
			if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(stat))); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
}
