package kit

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// manylinuxLibraries are the system libraries a manylinux wheel may link without
// carrying them: auditwheel's policy (src/auditwheel/policy/manylinux-policy.json,
// manylinux_2_28 and newer, x86_64, "lib_whitelist"). Every other library an extension
// needs, the wheel carries, as auditwheel repair does.
var manylinuxLibraries = map[string]bool{
	"libatomic.so.1": true, "libgcc_s.so.1": true, "libstdc++.so.6": true, "libm.so.6": true,
	"libmvec.so.1": true, "libanl.so.1": true, "libdl.so.2": true, "librt.so.1": true,
	"libc.so.6": true, "libnsl.so.1": true, "libutil.so.1": true, "libpthread.so.0": true,
	"libX11.so.6": true, "libXext.so.6": true, "libXrender.so.1": true, "libICE.so.6": true,
	"libSM.so.6": true, "libGL.so.1": true, "libgobject-2.0.so.0": true,
	"libgthread-2.0.so.0": true, "libglib-2.0.so.0": true, "libresolv.so.2": true,
	"libexpat.so.1": true, "libz.so.1": true,
}

// libpython is never carried (the interpreter provides it), nor is the dynamic loader.
var libpython = regexp.MustCompile(`^libpython\d+\.\d+m?\.so(\.\d+)*$`)

func systemProvided(soname string) bool {
	return manylinuxLibraries[soname] || libpython.MatchString(soname) || strings.HasPrefix(soname, "ld-linux")
}

// libraryDirs are where the dynamic loader of the harvest root looks by default.
var libraryDirs = []string{"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib", "/lib"}

// WheelOptions shape the wheels WriteWheels makes.
type WheelOptions struct {
	// SystemLinked leaves compiled extensions linked to the system's libraries; by
	// default a wheel carries them, as PyPI's manylinux wheels do.
	SystemLinked bool
}

// elfDeps is what the loader reads of an ELF file: the libraries it needs and where
// it looks for them first.
type elfDeps struct {
	needed, rpath, runpath []string
}

func readELF(data []byte) (elfDeps, bool) {
	if !bytes.HasPrefix(data, []byte(elf.ELFMAG)) {
		return elfDeps{}, false
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil || f.Machine != elf.EM_X86_64 || f.Section(".dynamic") == nil {
		return elfDeps{}, false // not something this machine's loader links
	}
	defer f.Close()
	var d elfDeps
	d.needed, _ = f.DynString(elf.DT_NEEDED)
	rpath, _ := f.DynString(elf.DT_RPATH)
	runpath, _ := f.DynString(elf.DT_RUNPATH)
	for _, p := range rpath {
		d.rpath = append(d.rpath, filepath.SplitList(p)...)
	}
	for _, p := range runpath {
		d.runpath = append(d.runpath, filepath.SplitList(p)...)
	}
	return d, true
}

// searchDirs are the directories the loader tries for a file at path (in the root):
// DT_RPATH unless there is a DT_RUNPATH, then DT_RUNPATH, then the default directories;
// $ORIGIN is the file's own directory.
func (d elfDeps) searchDirs(path string) []string {
	var dirs []string
	paths := d.runpath
	if len(d.runpath) == 0 {
		paths = d.rpath
	}
	for _, p := range paths {
		p = strings.ReplaceAll(strings.ReplaceAll(p, "${ORIGIN}", "$ORIGIN"), "$ORIGIN", filepath.Dir(path))
		if filepath.IsAbs(p) {
			dirs = append(dirs, filepath.Clean(p))
		}
	}
	return append(dirs, libraryDirs...)
}

// resolveInRoot follows symbolic links inside root to the regular file path names,
// and returns that file's path in the root.
func resolveInRoot(root, path string) (string, bool) {
	path = filepath.Clean("/" + path)
	for hops := 0; hops < 16; hops++ {
		st, err := os.Lstat(filepath.Join(root, path))
		if err != nil {
			return "", false
		}
		if st.Mode().IsRegular() {
			return path, true
		}
		if st.Mode()&os.ModeSymlink == 0 {
			return "", false
		}
		target, err := os.Readlink(filepath.Join(root, path))
		if err != nil {
			return "", false
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = filepath.Clean("/" + target)
	}
	return "", false
}

// grafted is a library the wheel carries: where it is in the root, its new name.
type grafted struct {
	path, name string
	deps       elfDeps
}

// graftLibraries does what auditwheel repair does to a wheel: every library the ELF
// files of contents (paths relative to dist-packages) need, directly or through
// another, that the manylinux policy does not count on the system having, is copied
// from the root into libsDir as NAME-HASH.SO (HASH: the first 8 hex digits of its
// SHA-256, so that two wheels' copies never clash in one process); the files needing
// them have their DT_NEEDED entries renamed and their RPATH set to libsDir, by
// patchelf on copies. It changes contents in place and returns the added files; a
// wheel whose ELF files need only system libraries comes back as it was.
func graftLibraries(root, libsDir string, contents map[string][]byte) (map[string][]byte, error) {
	members := make([]string, 0, len(contents))
	for rel := range contents {
		members = append(members, rel)
	}
	sort.Strings(members)
	inWheel := func(path string) bool {
		rel, ok := strings.CutPrefix(path, "/"+distPackages+"/")
		_, member := contents[rel]
		return ok && member
	}

	libs := map[string]*grafted{} // by soname
	var queue []string
	// external finds the needed libraries of one file that the wheel must carry.
	external := func(path string, d elfDeps) (map[string]string, error) {
		out := map[string]string{}
		for _, soname := range d.needed {
			if systemProvided(soname) {
				continue
			}
			found := ""
			for _, dir := range d.searchDirs(path) {
				if real, ok := resolveInRoot(root, filepath.Join(dir, soname)); ok {
					found = real
					break
				}
			}
			if found == "" {
				return nil, fmt.Errorf("%s needs %s, which is nowhere in the harvest root", strings.TrimPrefix(path, "/"+distPackages+"/"), soname)
			}
			if inWheel(found) {
				continue // the wheel's own, found through its RPATH
			}
			out[soname] = found
			if _, seen := libs[soname]; !seen {
				libs[soname] = &grafted{path: found}
				queue = append(queue, soname)
			}
		}
		return out, nil
	}

	patched := map[string]map[string]string{} // member → its needed sonames the wheel carries
	for _, rel := range members {
		d, ok := readELF(contents[rel])
		if !ok {
			continue
		}
		ext, err := external("/"+distPackages+"/"+rel, d)
		if err != nil {
			return nil, err
		}
		if len(ext) > 0 {
			patched[rel] = ext
		}
	}
	if len(patched) == 0 {
		return nil, nil
	}
	// The carried libraries' own needs, to the end of the chain.
	libData := map[string][]byte{}
	for len(queue) > 0 {
		soname := queue[0]
		queue = queue[1:]
		g := libs[soname]
		data, err := os.ReadFile(filepath.Join(root, g.path))
		if err != nil {
			return nil, err
		}
		d, ok := readELF(data)
		if !ok {
			return nil, fmt.Errorf("%s (for %s) is not an x86-64 shared library", g.path, soname)
		}
		sum := sha256.Sum256(data)
		base, ext, _ := strings.Cut(filepath.Base(g.path), ".")
		g.name, g.deps = base+"-"+hex.EncodeToString(sum[:])[:8]+"."+ext, d
		libData[soname] = data
		if _, err := external(g.path, d); err != nil {
			return nil, err
		}
	}

	patchelf, err := patchelfIn(root)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "kit-graft-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	added := map[string][]byte{}
	sonames := make([]string, 0, len(libs))
	for soname := range libs {
		sonames = append(sonames, soname)
	}
	sort.Strings(sonames)
	for _, soname := range sonames {
		g := libs[soname]
		var replace []string
		for _, n := range g.deps.needed {
			if other, ok := libs[n]; ok {
				replace = append(replace, "--replace-needed", n, other.name)
			}
		}
		rpath := "" // a carried library finds the others beside it, or needs none
		if len(replace) > 0 {
			rpath = "$ORIGIN"
		}
		data, err := patchELF(patchelf, tmp, g.name, libData[soname], rpath, []string{"--set-soname", g.name}, replace)
		if err != nil {
			return nil, err
		}
		added[libsDir+"/"+g.name] = data
	}
	for _, rel := range members {
		ext, ok := patched[rel]
		if !ok {
			continue
		}
		var replace []string
		for _, n := range sortedKeys(ext) {
			replace = append(replace, "--replace-needed", n, libs[n].name)
		}
		up, err := filepath.Rel(filepath.Dir(rel), libsDir)
		if err != nil {
			return nil, err
		}
		data, err := patchELF(patchelf, tmp, filepath.Base(rel), contents[rel], "$ORIGIN/"+filepath.ToSlash(up), replace)
		if err != nil {
			return nil, err
		}
		contents[rel] = data
	}
	return added, nil
}

// patchelfIn is the command that runs the harvest root's patchelf (Debian's, of the
// suite) with the root's own loader and libraries, so that the wheels come out the same
// whatever this machine runs; a root without it (a test's) uses this machine's.
func patchelfIn(root string) ([]string, error) {
	loader, okLoader := resolveInRoot(root, "/usr/lib64/ld-linux-x86-64.so.2")
	bin, okBin := resolveInRoot(root, "/usr/bin/patchelf")
	if okLoader && okBin {
		return []string{filepath.Join(root, loader), "--library-path", filepath.Join(root, "usr/lib/x86_64-linux-gnu"), filepath.Join(root, bin)}, nil
	}
	path, err := exec.LookPath("patchelf")
	if err != nil {
		return nil, fmt.Errorf("carrying the libraries it links into the wheel needs patchelf, which the harvest root lacks: apt-get install patchelf (or pass --system-linked)")
	}
	return []string{path}, nil
}

// patchELF runs patchelf on a copy of data, once for each non-empty list of
// arguments, in turn (as auditwheel does: patchelf 0.14 mixes up a new SONAME and a
// replaced DT_NEEDED asked for in one run); then it removes RPATH and RUNPATH and sets
// rpath, if not empty, as DT_RPATH, as auditwheel does.
func patchELF(patchelf []string, dir, name string, data []byte, rpath string, runs ...[]string) ([]byte, error) {
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return nil, err
	}
	defer os.Remove(path)
	runs = append(runs, []string{"--remove-rpath"})
	if rpath != "" {
		runs = append(runs, []string{"--force-rpath", "--set-rpath", rpath})
	}
	for _, run := range runs {
		if len(run) == 0 {
			continue
		}
		args := append(append(append([]string{}, patchelf[1:]...), run...), path)
		if out, err := exec.Command(patchelf[0], args...).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("patchelf %s %s: %v\n%s", strings.Join(run, " "), name, err, out)
		}
	}
	return os.ReadFile(path)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
