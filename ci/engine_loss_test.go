package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/multistage/multistage/internal/testenv"
	"github.com/multistage/multistage/pipeline/bench"
)

// socketProxy forwards connections from a unix socket of its own to the engine's. cut
// closes its listener and every connection, as an engine that died would; freeze stops
// forwarding but keeps every connection open, as an engine that hangs would.
type socketProxy struct {
	listener net.Listener
	mu       sync.Mutex
	conns    []net.Conn
	frozen   chan struct{}
	freezeMu sync.Once
}

func startSocketProxy(t *testing.T, target string) *socketProxy {
	t.Helper()
	listener, err := net.Listen("unix", filepath.Join(t.TempDir(), "engine.sock"))
	if err != nil {
		t.Fatal(err)
	}
	p := &socketProxy{listener: listener, frozen: make(chan struct{})}
	go func() {
		for {
			in, err := listener.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.conns = append(p.conns, in)
			p.mu.Unlock()
			if p.isFrozen() {
				continue // accepted, never answered
			}
			out, err := net.Dial("unix", target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, out)
			p.mu.Unlock()
			go p.forward(out, in)
			go p.forward(in, out)
		}
	}()
	t.Cleanup(p.cut)
	return p
}

// forward copies from src to dst until an error, or holds still once frozen.
func (p *socketProxy) forward(dst, src net.Conn) {
	buf := make([]byte, 32*1024)
	for {
		n, err := src.Read(buf)
		if p.isFrozen() {
			return // the bytes are dropped, the connections stay open
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}

func (p *socketProxy) isFrozen() bool {
	select {
	case <-p.frozen:
		return true
	default:
		return false
	}
}

func (p *socketProxy) freeze() { p.freezeMu.Do(func() { close(p.frozen) }) }

func (p *socketProxy) cut() {
	p.listener.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// TestLosingTheEngineEndsTheRunInBoundedTime cuts the CLI's connection to the engine in
// the middle of a compare with --export: the CLI must exit nonzero within 30 s, with
// one line naming the lost engine, and leave nothing in the export directory.
func TestLosingTheEngineEndsTheRunInBoundedTime(t *testing.T) {
	testenv.Client(t) // skips without an engine
	for _, loss := range []string{"dies", "hangs"} {
		t.Run(loss, func(t *testing.T) { loseEngineDuringCompare(t, loss) })
	}
}

func loseEngineDuringCompare(t *testing.T, loss string) {
	runner := os.Getenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST")
	engineSocket, ok := strings.CutPrefix(runner, "unix://")
	if !ok {
		t.Skip("the engine is not reached through a unix socket (_EXPERIMENTAL_DAGGER_RUNNER_HOST=unix://…): no proxy to cut")
	}
	k := testenv.Kit(t)
	proxy := startSocketProxy(t, engineSocket)
	export := t.TempDir()
	// An app that takes 25 s to listen: the check is in flight when the engine goes.
	app := t.TempDir()
	slow := "import time\ntime.sleep(25)  # " + time.Now().String() + "\nfrom flask import Flask\napp = Flask(__name__)\n" +
		"@app.route('/')\ndef hello():\n    return 'Hello, Multi-Stage Build Python Application!'\n" +
		"app.run(host='0.0.0.0', port=5000)\n"
	for name, content := range map[string]string{"app.py": slow, "requirements.txt": "flask\n"} {
		if err := os.WriteFile(filepath.Join(app, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Dir = ".."
	cmd.Env = append(bench.WithoutSession(os.Environ()),
		"_EXPERIMENTAL_DAGGER_RUNNER_HOST=unix://"+proxy.listener.Addr().String(),
		"MULTISTAGE_TEST_CLI_ARGS=compare --app "+app+" --builder-base "+k.Builder+" --runtime-base "+k.Runtime+" --wheels "+k.Wheels+" --export "+export)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	// A process group of its own: whatever the CLI leaves running is found, and ended.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	// Mid-run: the session is up and the builds are under way.
	select {
	case err := <-done:
		t.Fatalf("the CLI ended before the cut: %v\n%s", err, stderr.String())
	case <-time.After(8 * time.Second):
	}
	if loss == "dies" {
		proxy.cut()
	} else {
		proxy.freeze()
	}
	cut := time.Now()
	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the CLI still waited 60 s after the engine %s:\n%s", loss, lastLines(stderr.String(), 10))
	}
	took := time.Since(cut)
	last := lastLines(strings.TrimSpace(stderr.String()), 1)
	t.Logf("exit %v after %.1fs; last line: %s", err, took.Seconds(), last)
	if err == nil {
		t.Errorf("the CLI exited 0 after losing its engine")
	}
	if took > 30*time.Second {
		t.Errorf("the CLI took %.1fs to notice the lost engine, want at most 30s", took.Seconds())
	}
	if !strings.Contains(last, "the Dagger engine was lost") || !strings.Contains(last, "during compare") {
		t.Errorf("last line does not name the lost engine and the command: %q", last)
	}
	time.Sleep(time.Second)
	if left := processesInGroup(cmd.Process.Pid); len(left) > 0 {
		t.Errorf("the CLI left processes running: %v", left)
	}
	if entries, _ := os.ReadDir(export); len(entries) > 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the export directory holds %v", names)
	}
}

// processesInGroup lists the command lines of the processes in a process group.
func processesInGroup(pgid int) []string {
	var found []string
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, stat := range stats {
		if _, _, group, ok := procStat(stat); ok && group == pgid {
			cmdline, _ := os.ReadFile(filepath.Join(filepath.Dir(stat), "cmdline"))
			found = append(found, strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	return found
}
