// Package scripts holds the Python helpers that run inside containers (measuring a
// tarball, assembling the minimal root, scanning what the venv links, …) as files of
// one embedded directory. In: a container to run one in. Out: the container with
// the directory mounted read-only at Path, and the command that runs a helper by path.
package scripts

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"dagger.io/dagger"
)

// The helpers are files of this directory, mounted into the containers that run them
// and invoked by path: a run's progress output, trace
// and CI log show a command, not a script's source (about 57 kB of it in one
// `dagger call compare` after an edit). Being files of one directory, they can share
// a module (multistage_elf.py).
//
//go:embed *.py
var scriptFiles embed.FS

// Path is where the helpers are mounted.
const Path = "/tmp/multistage-scripts"

// Source is a helper's text, for the files that travel inside an image (the
// launcher) or into another tool's build context (the bench's Dockerfiles).
func Source(name string) string {
	data, err := fs.ReadFile(scriptFiles, name)
	if err != nil {
		panic("scripts: no embedded script " + name) // a build defect, caught by every test
	}
	return string(data)
}

// Precompile writes, at build time, the bytecode of what the installed requirements
// import (precompile.py says why).
var Precompile = Source("precompile.py")

// Set is the helpers as one directory of the engine, made once per client and shared
// by every step: the same content gives the same directory, so steps that mount it
// stay cached.
type Set struct {
	client *dagger.Client
	once   sync.Once
	dir    *dagger.Directory
}

// New is the helpers, for the steps that client runs.
func New(client *dagger.Client) *Set { return &Set{client: client} }

// Mount mounts the helpers into ctr, read-only, for the steps that run them.
func (s *Set) Mount(ctr *dagger.Container) *dagger.Container {
	s.once.Do(func() { s.dir = s.fromDisk() })
	return ctr.WithMountedDirectory(Path, s.dir, dagger.ContainerWithMountedDirectoryOpts{ReadOnly: true})
}

// scriptsFromDisk hands the helpers to the engine as a directory of this process's
// disk (the CLI's machine, or a module function's container): the engine syncs files
// by name, while a directory made with withNewFile would print every script's text in
// the progress output, on every run. Written once per content, under a name that is
// its digest; where that cannot be written, the directory is made with withNewFile.
func (s *Set) fromDisk() *dagger.Directory {
	entries, _ := fs.ReadDir(scriptFiles, ".")
	sum := sha256.New()
	for _, entry := range entries {
		fmt.Fprintf(sum, "%s\x00%s\x00", entry.Name(), Source(entry.Name()))
	}
	dir := filepath.Join(os.TempDir(), "multistage-scripts-"+hex.EncodeToString(sum.Sum(nil))[:16])
	if err := writeScripts(dir, entries); err != nil {
		made := s.client.Directory()
		for _, entry := range entries {
			made = made.WithNewFile(entry.Name(), Source(entry.Name()))
		}
		return made
	}
	return s.client.Host().Directory(dir, dagger.HostDirectoryOpts{Exclude: []string{".complete"}})
}

// writeScripts writes the helpers into dir unless a complete copy is there: into a
// temporary directory first, renamed into place, so a reader never sees half of it.
func writeScripts(dir string, entries []fs.DirEntry) error {
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return nil
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".multistage-scripts-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, entry := range entries {
		if err := os.WriteFile(filepath.Join(tmp, entry.Name()), []byte(Source(entry.Name())), 0o644); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), nil, 0o644); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, ".complete")); statErr == nil {
			return nil // another process wrote the same content first
		}
		return err
	}
	return nil
}

// Command is the command that runs helper name with python (an interpreter's path, or
// "python" with flags), and its arguments.
func Command(python []string, name string, args ...string) []string {
	return append(append(append([]string{}, python...), Path+"/"+name), args...)
}
