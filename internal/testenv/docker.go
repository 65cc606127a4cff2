package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// DockerDaemon is a Docker daemon a test started for itself.
type DockerDaemon struct {
	// Host is the DOCKER_HOST value that reaches it.
	Host string
	// CLI is the docker client's path.
	CLI string
}

// Run runs the docker client against the daemon.
func (d DockerDaemon) Run(t testing.TB, args ...string) string {
	t.Helper()
	cmd := exec.Command(d.CLI, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.Host)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Docker starts a Docker daemon of the test's own (Debian's docker.io) with its own data
// root, exec root and socket, no bridge and no iptables rules (containers use the host
// network), its containers' ulimits kept inside what the sandbox grants; it is stopped
// by its PID when the test ends. Without dockerd the test skips, saying so.
func Docker(t testing.TB) DockerDaemon {
	t.Helper()
	dockerd, err := exec.LookPath("dockerd")
	if err != nil {
		t.Skip("no dockerd: apt-get install docker.io to include the Docker tests")
	}
	cli, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("no docker client: apt-get install docker.io to include the Docker tests")
	}
	// A short path: the socket's must fit in 108 bytes.
	dir, err := os.MkdirTemp("", "msd-")
	if err != nil {
		t.Fatal(err)
	}
	socket := filepath.Join(dir, "docker.sock")
	log, err := os.Create(filepath.Join(dir, "dockerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(dockerd, "--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(dir, "exec"),
		"--host", "unix://"+socket, "--pidfile", filepath.Join(dir, "docker.pid"),
		"--bridge=none", "--iptables=false", "--ip6tables=false",
		"--default-ulimit", "nofile=4096:4096", "--default-ulimit", "nproc=4096:4096")
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting dockerd: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		os.RemoveAll(dir)
	})
	daemon := DockerDaemon{Host: "unix://" + socket, CLI: cli}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		probe := exec.Command(cli, "version")
		probe.Env = append(os.Environ(), "DOCKER_HOST="+daemon.Host)
		if probe.Run() == nil {
			return daemon
		}
		if time.Now().After(deadline) {
			data, _ := os.ReadFile(filepath.Join(dir, "dockerd.log"))
			t.Fatalf("dockerd did not answer within 60s:\n%s", LastLines(string(data), 10))
		}
	}
}

// LastLines is the last n lines of s: what a failing test shows of a long output.
func LastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// HoldHostPort keeps other test binaries (packages run side by side) from using a
// port of the host's network until the test ends: Docker's containers here have no
// bridge, so an app binds the host's port itself.
func HoldHostPort(t testing.TB, port int) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), fmt.Sprintf("multistage-port-%d.lock", port)), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() })
}
