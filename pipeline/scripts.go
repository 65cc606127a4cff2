package pipeline

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

// The Python helpers that run inside containers are files of scripts/, mounted into
// the containers that run them and invoked by path: a run's progress output, trace
// and CI log show a command, not a script's source (about 57 kB of it in one
// `dagger call compare` after an edit). Being files of one directory, they can share
// a module (multistage_elf.py).
//
//go:embed scripts/*.py
var scriptFiles embed.FS

// scriptsPath is where the helpers are mounted.
const scriptsPath = "/tmp/multistage-scripts"

// scriptSource is a helper's text, for the files that travel inside an image (the
// launcher) or into another tool's build context (the bench's Dockerfiles).
func scriptSource(name string) string {
	data, err := fs.ReadFile(scriptFiles, "scripts/"+name)
	if err != nil {
		panic("pipeline: no embedded script " + name) // a build defect, caught by every test
	}
	return string(data)
}

// PrecompileScript writes, at build time, the bytecode of what the installed
// requirements import (scripts/precompile.py says why).
var PrecompileScript = scriptSource("precompile.py")

// scriptsDirectory is the helpers as one directory, made once per pipeline: the
// same content gives the same directory, so steps that mount it stay cached.
type scriptsDirectory struct {
	once sync.Once
	dir  *dagger.Directory
}

// withScripts mounts the helpers into ctr for the steps that run them.
func (p *Pipeline) withScripts(ctr *dagger.Container) *dagger.Container {
	p.scripts.once.Do(func() { p.scripts.dir = p.scriptsFromDisk() })
	return ctr.WithMountedDirectory(scriptsPath, p.scripts.dir)
}

// scriptsFromDisk hands the helpers to the engine as a directory of this process's
// disk (the CLI's machine, or a module function's container): the engine syncs files
// by name, while a directory made with withNewFile would print every script's text in
// the progress output, on every run. Written once per content, under a name that is
// its digest; where that cannot be written, the directory is made with withNewFile.
func (p *Pipeline) scriptsFromDisk() *dagger.Directory {
	entries, _ := fs.ReadDir(scriptFiles, "scripts")
	sum := sha256.New()
	for _, entry := range entries {
		fmt.Fprintf(sum, "%s\x00%s\x00", entry.Name(), scriptSource(entry.Name()))
	}
	dir := filepath.Join(os.TempDir(), "multistage-scripts-"+hex.EncodeToString(sum.Sum(nil))[:16])
	if err := writeScripts(dir, entries); err != nil {
		made := p.client.Directory()
		for _, entry := range entries {
			made = made.WithNewFile(entry.Name(), scriptSource(entry.Name()))
		}
		return made
	}
	return p.client.Host().Directory(dir, dagger.HostDirectoryOpts{Exclude: []string{".complete"}})
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
		if err := os.WriteFile(filepath.Join(tmp, entry.Name()), []byte(scriptSource(entry.Name())), 0o644); err != nil {
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

// script is the command that runs helper name with python (an interpreter's path, or
// "python" with flags), and its arguments.
func script(python []string, name string, args ...string) []string {
	return append(append(append([]string{}, python...), scriptsPath+"/"+name), args...)
}
