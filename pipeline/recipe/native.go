package recipe

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"dagger.io/dagger"
	"github.com/multistage/multistage/pipeline/failure"
	"github.com/multistage/multistage/pipeline/scripts"
)

const (
	// nativeOut is where native.py writes its report and the tree of libraries to carry.
	nativeOut = "/tmp/multistage-native"
	// runtimeRootMount is where the builder sees the runtime base's root, to ask it
	// which libraries it already has.
	runtimeRootMount = "/tmp/multistage-runtime-root"
)

// NativeLibrary is a shared library that the venv's compiled code links (or the user
// named with RuntimeLibs) and the runtime base lacks: the production images carry it.
type NativeLibrary struct {
	// Soname is the name the loader looks for (libpq.so.5); Path where it is found.
	Soname string `json:"soname"`
	Path   string `json:"path"`
	// Package and Version are the Debian package the file comes from, by dpkg in the
	// builder ("" where the builder has no dpkg or dpkg owns no such file).
	Package string `json:"package,omitempty"`
	Version string `json:"version,omitempty"`
	// Bytes is the size of the library's file, measured in the builder.
	Bytes int64 `json:"bytes"`
	// NeededBy are the files that link it, relative to the venv, or "--runtime-lib NAME".
	NeededBy []string `json:"neededBy"`
}

// osRelease is what /etc/os-release says of a base.
type osRelease struct {
	ID        string `json:"id"`
	VersionID string `json:"versionId"`
	Pretty    string `json:"pretty"`
}

// NativeScan is native.py's answer for this pipeline's builder and runtime bases.
type NativeScan struct {
	Carried []NativeLibrary `json:"carried"`
	// Missing are libraries the venv needs that neither base has.
	Missing []struct {
		NeededBy string `json:"neededBy"`
		Soname   string `json:"soname"`
	} `json:"missing"`
	// Unnamed are RuntimeLibs the builder's loader does not know.
	Unnamed []string  `json:"unnamed"`
	Builder osRelease `json:"builder"`
	Runtime osRelease `json:"runtime"`
	// root is the tree of the carried libraries, at their paths, dated.
	root *dagger.Directory
}

// NativeLibraries resolves every ELF file of the builder's venv, and every library
// named in RuntimeLibs, with the builder's loader, and says which of those libraries
// the runtime base lacks: the production images carry them. It refuses, in one line,
// a library that neither base has, a named library the builder does not know, and
// carrying libraries between bases of different distribution releases (a library
// built for one may need newer symbols than the other's C library has).
//
// The scan is made once per pipeline: the production build, the link check's hint and
// the report all ask for it, and each asking was a round trip to the engine.
func (r *Recipes) NativeLibraries(ctx context.Context) (*NativeScan, error) {
	r.native.once.Do(func() { r.native.scan, r.native.err = r.scanNative(ctx) })
	return r.native.scan, r.native.err
}

// nativeScanOnce holds a pipeline's scan, made on first use.
type nativeScanOnce struct {
	once sync.Once
	scan *NativeScan
	err  error
}

// scanNative runs the scan in the builder, against the runtime base's root.
func (r *Recipes) scanNative(ctx context.Context) (*NativeScan, error) {
	// scripts/native.py finds what the venv's compiled code links that the runtime base
	// lacks, and copies it out of the builder.
	scanned := r.scripts.Mount(r.stepEnv(r.Builder())).
		WithMountedDirectory(runtimeRootMount, r.runtimeBase().Rootfs()).
		WithExec(scripts.Command([]string{"python"}, "native.py", append([]string{nativeOut, runtimeRootMount, VenvPath, strconv.Itoa(r.opts.SourceDateEpoch)}, r.opts.RuntimeLibs...)...))
	data, err := scanned.File(nativeOut + "/native.json").Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("finding the native libraries the venv links: %s", failure.Line(err))
	}
	scan, err := parseNativeScan(data)
	if err != nil {
		return nil, err
	}
	scan.root = scanned.Directory(nativeOut + "/root")
	return scan, scan.refusal()
}

func parseNativeScan(data string) (*NativeScan, error) {
	var scan NativeScan
	if err := json.Unmarshal([]byte(data), &scan); err != nil {
		return nil, fmt.Errorf("reading native.py's answer: %w", err)
	}
	return &scan, nil
}

// refusal is the one line that stops the production images, or nil.
func (s *NativeScan) refusal() error {
	if len(s.Unnamed) > 0 {
		return fmt.Errorf("runtime library %s is not known to the builder base's loader (ldconfig -p): install its package in the builder base, or check the name (a soname such as libpq.so.5)", strings.Join(s.Unnamed, ", "))
	}
	if len(s.Missing) > 0 {
		m := s.Missing[0]
		return fmt.Errorf("%s needs %s: in neither base: add the package that has it to the builder base", m.NeededBy, m.Soname)
	}
	if len(s.Carried) > 0 && (s.Builder.ID != s.Runtime.ID || s.Builder.VersionID != s.Runtime.VersionID) {
		return fmt.Errorf("the venv links %s, which the runtime base lacks, but the builder base is %s and the runtime base %s: use bases of the same distribution release, so that libraries carried from one run on the other",
			s.Carried[0].Soname, describeRelease(s.Builder), describeRelease(s.Runtime))
	}
	return nil
}

func describeRelease(r osRelease) string {
	if r.Pretty != "" {
		return r.Pretty
	}
	if r.ID == "" {
		return "of an unknown release (no /etc/os-release)"
	}
	return r.ID + " " + r.VersionID
}

// whereFrom says where a library the image lacks could come from, for the link check.
func (s *NativeScan) whereFrom(soname string) string {
	for _, lib := range s.Carried {
		if lib.Soname == soname {
			if lib.Package != "" {
				return fmt.Sprintf("in the builder from %s %s; not in the runtime base", lib.Package, lib.Version)
			}
			return "in the builder at " + lib.Path + "; not in the runtime base"
		}
	}
	return "in neither base: add the package that has it to the builder base"
}

// missingLink is one library an image's extension module needs and cannot find.
type missingLink struct {
	File, Soname string
}

// CheckLinks resolves, inside image, every ELF file of its Python's site-packages with
// the image's own loader, and fails with one line naming the first file and library
// that cannot be found, and where the library could come from. A compiled module whose
// library is missing either fails at import or, worse, is skipped by its package for
// a pure-Python fallback (PyYAML without libyaml): a check of the answer alone would
// not see it.
func (r *Recipes) CheckLinks(ctx context.Context, image *dagger.Container) error {
	// The venv, where the production images keep the packages (PATH names it only
	// once the app is in); the image's own python finds the rest.
	// scripts/linkcheck.py lists the libraries the image's compiled modules need and
	// its loader cannot find.
	out, err := r.scripts.Mount(image).WithExec(scripts.Command([]string{"python"}, "linkcheck.py", VenvPath)).Stdout(ctx)
	if err != nil {
		return fmt.Errorf("checking the links of the image's compiled modules: %s", failure.Line(err))
	}
	missing := parseMissingLinks(out)
	if len(missing) == 0 {
		return nil
	}
	where := "in neither base: add the package that has it to the builder base"
	if scan, err := r.NativeLibraries(ctx); err == nil {
		where = scan.whereFrom(missing[0].Soname)
	}
	more := ""
	if len(missing) > 1 {
		more = fmt.Sprintf(" (and %d more)", len(missing)-1)
	}
	return fmt.Errorf("%s needs %s: %s%s", missing[0].File, missing[0].Soname, where, more)
}

// parseMissingLinks reads linkcheck.py's lines: "FILE<TAB>SONAME", sorted.
func parseMissingLinks(out string) []missingLink {
	var missing []missingLink
	for _, line := range strings.Split(out, "\n") {
		file, soname, ok := strings.Cut(strings.TrimSpace(line), "\t")
		if ok && file != "" && soname != "" {
			missing = append(missing, missingLink{File: file, Soname: soname})
		}
	}
	sort.Slice(missing, func(i, j int) bool {
		if missing[i].File != missing[j].File {
			return missing[i].File < missing[j].File
		}
		return missing[i].Soname < missing[j].Soname
	})
	return missing
}

// CarriedLibraries lists what the production images carry for the venv; empty when the
// scan cannot answer (the build that needed it said why).
func (r *Recipes) CarriedLibraries(ctx context.Context) []NativeLibrary {
	scan, err := r.NativeLibraries(ctx)
	if err != nil || r.opts.LeaveNativeBehind {
		return nil
	}
	return scan.Carried
}
