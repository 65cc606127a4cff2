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
		err := askEngine(ctx, client)
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

// askEngine asks the engine its name once, bounded by watchTimeout.
func askEngine(ctx context.Context, client *dagger.Client) error {
	askCtx, done := context.WithTimeout(ctx, watchTimeout)
	defer done()
	// A new Engine object each time: the client caches a field it has read.
	_, err := client.Engine().Name(askCtx)
	return err
}

// engineGone asks the engine once more; it says why when there is no answer.
func engineGone(ctx context.Context, client *dagger.Client) error {
	if err := askEngine(ctx, client); err != nil {
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
		if pid, ppid, _, ok := procStat(stat); ok && ppid == me {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// procStat reads a /proc/PID/stat file: the process, its parent and its group.
func procStat(path string) (pid, ppid, pgid int, ok bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, 0, false
	}
	// pid (comm) state ppid pgrp ...: the comm may hold spaces, so read after its ')'.
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	if len(fields) < 3 {
		return 0, 0, 0, false
	}
	pid, err1 := strconv.Atoi(filepath.Base(filepath.Dir(path)))
	ppid, err2 := strconv.Atoi(fields[1])
	pgid, err3 := strconv.Atoi(fields[2])
	return pid, ppid, pgid, err1 == nil && err2 == nil && err3 == nil
}
