package measure

import (
	"archive/tar"
	"path"
	"regexp"
	"strings"
)

// Parts splits an image's SIZE (its unpacked layers added up) by what the bytes are
// for, read from the same layer listings: the five add up to SIZE exactly.
//
// Every tar entry of every layer counts where SIZE counts it: its headers, data and
// padding, in the layer that holds it. A file that a later layer deletes or
// overwrites still counts, in the part its path says, in the layer that wrote it
// (WASTE says how much of SIZE that is). A layer's end-of-archive blocks count with
// the part that holds most of that layer's entries.
type Parts struct {
	// Base is the runtime base's own layers, whatever they hold, and every other file
	// no rule below claims (the app user, a console script; for minimal, which has no
	// base layers, the interpreter, standard library and system files it took).
	Base int64 `json:"base"`
	// Dependencies are the venv (/opt/venv) and, above the base's layers, Python's
	// site-packages and dist-packages (where single-stage's pip installs).
	Dependencies int64 `json:"dependencies"`
	// NativeLibraries are the files at the paths of the image's nativeLibraries,
	// links followed: what it carries because the venv's compiled code links them.
	NativeLibraries int64 `json:"nativeLibraries"`
	// Bytecode is every __pycache__ directory above the base's layers, outside the app.
	Bytecode int64 `json:"bytecode"`
	// App is the app directory (/app).
	App int64 `json:"app"`
}

// Part names one of Parts' fields.
type Part int

// The parts, from the bottom of a stacked bar up.
const (
	PartBase Part = iota
	PartDependencies
	PartNativeLibraries
	PartBytecode
	PartApp
	PartCount
)

// AllParts lists the parts, from the bottom of a stacked bar up.
var AllParts = []Part{PartBase, PartDependencies, PartNativeLibraries, PartBytecode, PartApp}

var partNames = [PartCount]string{"base", "dependencies", "native libraries", "bytecode", "app"}

// String is the part's name as the reports print it.
func (p Part) String() string { return partNames[p] }

// Of is the bytes of one part.
func (ps Parts) Of(p Part) int64 {
	return [PartCount]int64{ps.Base, ps.Dependencies, ps.NativeLibraries, ps.Bytecode, ps.App}[p]
}

// Total adds the parts up: the image's SIZE.
func (ps Parts) Total() int64 {
	var n int64
	for _, p := range AllParts {
		n += ps.Of(p)
	}
	return n
}

func (ps *Parts) add(p Part, n int64) {
	switch p {
	case PartBase:
		ps.Base += n
	case PartDependencies:
		ps.Dependencies += n
	case PartNativeLibraries:
		ps.NativeLibraries += n
	case PartBytecode:
		ps.Bytecode += n
	case PartApp:
		ps.App += n
	}
}

// sitePackages is where pip installs into a Python that is not a venv.
var sitePackages = regexp.MustCompile(`^usr/(local/)?lib/python3[^/]*/(site|dist)-packages(/|$)`)

// partsOf splits the layers' bytes into parts. The first baseLayers layers are the
// runtime base's own; native are the libraries the image carries for the venv.
func partsOf(listings []layerListing, baseLayers int, places Places) Parts {
	nativeFiles := nativeFileNames(flatten(listings), places.Native)
	var parts Parts
	for i, listing := range listings {
		var layer Parts
		var listed int64
		for _, f := range listing.Files {
			part := PartBase
			if i >= baseLayers {
				part = partOfPath(f.Name, places, nativeFiles)
			}
			layer.add(part, f.tarBytes())
			listed += f.tarBytes()
		}
		// The end-of-archive blocks and the padding after them.
		layer.add(largestPart(layer), listing.UncompressedBytes-listed)
		for _, p := range AllParts {
			parts.add(p, layer.Of(p))
		}
	}
	return parts
}

// Places says where an image keeps what its parts are made of.
type Places struct {
	// App and Venv are the app's directory and the venv's, absolute.
	App, Venv string
	// Native are the paths of the libraries the image carries for the venv (its
	// report's nativeLibraries).
	Native []string
}

// partOfPath says which part a file above the base's layers belongs to, by its path
// (relative to /): the app, a carried library, bytecode, a dependency, else the base.
func partOfPath(name string, places Places, nativeFiles map[string]bool) Part {
	app := strings.TrimPrefix(places.App, "/")
	venv := strings.TrimPrefix(places.Venv, "/")
	switch {
	case name == app || strings.HasPrefix(name, app+"/"):
		return PartApp
	case nativeFiles[name]:
		return PartNativeLibraries
	case path.Base(name) == "__pycache__" || strings.Contains(name, "/__pycache__/") || strings.HasPrefix(name, "__pycache__/"):
		return PartBytecode
	case name == venv || strings.HasPrefix(name, venv+"/") || sitePackages.MatchString(name):
		return PartDependencies
	}
	return PartBase
}

// largestPart is the part with the most bytes (the base when none has any).
func largestPart(ps Parts) Part {
	best := PartBase
	for _, p := range AllParts {
		if ps.Of(p) > ps.Of(best) {
			best = p
		}
	}
	return best
}

// nativeFileNames finds, in the final filesystem, the files at the paths of the
// carried libraries: the link the loader opens (libpq.so.5) and the file it leads to
// (libpq.so.5.17). A path under /usr/lib is also looked for under /lib and the other
// way round: minimal keeps a library where the loader found it, multi-stage where its
// directory really is.
func nativeFileNames(files []layerFile, nativePaths []string) map[string]bool {
	if len(nativePaths) == 0 {
		return nil
	}
	fs := make(map[string]layerFile, len(files))
	for _, f := range files {
		fs[f.Name] = f
	}
	names := map[string]bool{}
	for _, path := range nativePaths {
		for _, candidate := range []string{path, otherLibDir(path)} {
			if found := followLinks(fs, candidate); len(found) > 0 {
				for _, name := range found {
					names[name] = true
				}
				break
			}
		}
	}
	return names
}

// otherLibDir is a library path under /lib for one under /usr/lib, and the other way round.
func otherLibDir(p string) string {
	for _, pair := range [][2]string{{"/usr/lib/", "/lib/"}, {"/usr/lib64/", "/lib64/"}} {
		if strings.HasPrefix(p, pair[0]) {
			return pair[1] + strings.TrimPrefix(p, pair[0])
		}
		if strings.HasPrefix(p, pair[1]) {
			return pair[0] + strings.TrimPrefix(p, pair[1])
		}
	}
	return p
}

// maxLinks bounds how many links a path is followed through, as the kernel's ELOOP does.
const maxLinks = 40

// followLinks looks p up in fs, links followed (in its directories too, as /lib ->
// usr/lib): the names of the links on the way and of the file it ends at; nil when
// it leads nowhere.
func followLinks(fs map[string]layerFile, p string) []string {
	var names []string
	for range maxLinks {
		name, ok := realDirs(fs, strings.TrimPrefix(path.Clean("/"+p), "/"))
		if !ok {
			return nil
		}
		f, found := fs[name]
		if !found {
			return nil
		}
		names = append(names, name)
		if f.Type != tar.TypeSymlink {
			return names
		}
		p = linkTarget(name, f.Target)
	}
	return nil
}

// realDirs resolves the links among name's directories.
func realDirs(fs map[string]layerFile, name string) (string, bool) {
	for range maxLinks {
		parts := strings.Split(name, "/")
		resolved := true
		for i := 1; i < len(parts); i++ {
			dir := strings.Join(parts[:i], "/")
			if f, ok := fs[dir]; ok && f.Type == tar.TypeSymlink {
				name = strings.TrimPrefix(path.Clean("/"+linkTarget(dir, f.Target)+"/"+strings.Join(parts[i:], "/")), "/")
				resolved = false
				break
			}
		}
		if resolved {
			return name, true
		}
	}
	return "", false
}

// linkTarget is where a link named name (relative to /) points, as an absolute path.
func linkTarget(name, target string) string {
	if strings.HasPrefix(target, "/") {
		return target
	}
	return path.Join("/", path.Dir(name), target)
}
