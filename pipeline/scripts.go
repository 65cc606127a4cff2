package pipeline

import (
	"embed"
	"io/fs"
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
	p.scripts.once.Do(func() {
		dir := p.client.Directory()
		entries, _ := fs.ReadDir(scriptFiles, "scripts")
		for _, entry := range entries {
			dir = dir.WithNewFile(entry.Name(), scriptSource(entry.Name()))
		}
		p.scripts.dir = dir
	})
	return ctr.WithMountedDirectory(scriptsPath, p.scripts.dir)
}

// script is the command that runs helper name with python (an interpreter's path, or
// "python" with flags), and its arguments.
func script(python []string, name string, args ...string) []string {
	return append(append(append([]string{}, python...), scriptsPath+"/"+name), args...)
}
