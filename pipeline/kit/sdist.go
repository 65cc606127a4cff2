package kit

import (
	"archive/tar"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// Sdist is an upstream release from Debian's source archive, put beside the wheels
// under the name pip looks for: what PyPI's source distribution of the project is.
type Sdist struct {
	// Source and DebianVersion name the Debian source package it came from.
	Source, DebianVersion string
	// Name and Version are the project's (from PKG-INFO, pyproject.toml or the
	// tarball's top directory), File its name in the wheels directory.
	Name, Version, File string
	// BuildRequires are the names pip's build isolation installs to build it.
	BuildRequires []string

	orig string // the verified upstream tarball in the cache
}

// ErrArchiveUnreachable is in the error of a kit that had to read Debian's source
// archive and could not reach it.
var ErrArchiveUnreachable = errors.New("Debian's archive is unreachable")

// sourceStanza is what the kit reads of a source package in the suite's index.
type sourceStanza struct {
	Package, Version, Directory string
	Sha256                      map[string]string // file name → SHA-256, from Checksums-Sha256
}

// sourceIndexPath is where Debian's archive keeps a suite's index of source packages.
func sourceIndexPath(suite string) string {
	return "dists/" + suite + "/main/source/Sources.gz"
}

// findSources reads a source index (Sources, deb822, uncompressed) and returns the
// stanza of each wanted package; if the index has several versions of one, the highest.
func findSources(r io.Reader, want []string) (map[string]sourceStanza, error) {
	wanted := map[string]bool{}
	for _, name := range want {
		wanted[name] = true
	}
	found := map[string]sourceStanza{}
	var bad error
	err := readDeb822(r, func(lines []string) bool {
		for _, line := range lines {
			if name, ok := strings.CutPrefix(line, "Package:"); ok {
				return wanted[strings.TrimSpace(name)]
			}
		}
		return false
	}, func(fields map[string]string) {
		s := sourceStanza{Package: fields["package"], Version: fields["version"], Directory: fields["directory"], Sha256: map[string]string{}}
		for _, line := range strings.Split(fields["checksums-sha256"], "\n") {
			if f := strings.Fields(line); len(f) == 3 {
				s.Sha256[f[2]] = f[0]
			}
		}
		if s.Version == "" || s.Directory == "" {
			bad = fmt.Errorf("source index: the stanza of %s lacks Version or Directory", s.Package)
			return
		}
		if old, ok := found[s.Package]; !ok || compareDebianVersions(s.Version, old.Version) > 0 {
			found[s.Package] = s
		}
	})
	if err == nil {
		err = bad
	}
	return found, err
}

// origTarball is the stanza's upstream tarball (NAME_VERSION.orig.tar.gz, .xz or .bz2;
// not an additional .orig-COMPONENT tarball) and its SHA-256.
func (s sourceStanza) origTarball() (string, string, error) {
	var names []string
	for name := range s.Sha256 {
		if origName.MatchString(name) {
			names = append(names, name)
		}
	}
	if len(names) != 1 {
		return "", "", fmt.Errorf("source package %s %s has no upstream tarball (.orig.tar.*): a Debian-native package is no upstream release", s.Package, s.Version)
	}
	return names[0], s.Sha256[names[0]], nil
}

var origName = regexp.MustCompile(`\.orig\.tar\.(gz|xz|bz2)$`)

// splitDebianVersion splits [epoch:]upstream[-revision].
func splitDebianVersion(v string) (epoch int, upstream, revision string) {
	if e, rest, ok := strings.Cut(v, ":"); ok {
		if n, err := strconv.Atoi(e); err == nil {
			epoch, v = n, rest
		}
	}
	if i := strings.LastIndex(v, "-"); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

// compareDebianVersions orders two Debian versions as dpkg does.
func compareDebianVersions(a, b string) int {
	ea, ua, ra := splitDebianVersion(a)
	eb, ub, rb := splitDebianVersion(b)
	if ea != eb {
		return ea - eb
	}
	if c := verrevcmp(ua, ub); c != 0 {
		return c
	}
	return verrevcmp(ra, rb)
}

// verrevcmp is dpkg's comparison of an upstream version or a revision: non-digit runs
// compare by character, letters before other characters and "~" before everything,
// even the end; digit runs compare as numbers.
func verrevcmp(a, b string) int {
	at := func(s string, i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	order := func(c byte) int {
		switch {
		case isDigit(c), c == 0:
			return 0
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			return int(c)
		case c == '~':
			return -1
		}
		return int(c) + 256
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			if ac, bc := order(at(a, i)), order(at(b, j)); ac != bc {
				return ac - bc
			}
			i, j = i+1, j+1
		}
		for at(a, i) == '0' {
			i++
		}
		for at(b, j) == '0' {
			j++
		}
		first := 0
		for isDigit(at(a, i)) && isDigit(at(b, j)) {
			if first == 0 {
				first = int(a[i]) - int(b[j])
			}
			i, j = i+1, j+1
		}
		if isDigit(at(a, i)) {
			return 1
		}
		if isDigit(at(b, j)) {
			return -1
		}
		if first != 0 {
			return first
		}
	}
	return 0
}

// repackSuffix is how Debian marks an upstream tarball it repacked (files removed).
var repackSuffix = regexp.MustCompile(`[+~.](dfsg|ds|repack)[0-9.]*$`)

// upstreamVersion is the upstream release a Debian version packages: no epoch, no
// Debian revision, no repack suffix (+dfsg, +ds); "~" (Debian's "before") dropped, so
// that 1.0~rc1 reads as PEP 440's 1.0rc1.
func upstreamVersion(debian string) string {
	_, v, _ := splitDebianVersion(debian)
	if _, after, ok := strings.Cut(v, "+really"); ok { // a reverted upgrade: 2.1+really2.0
		v = after
	}
	for {
		trimmed := repackSuffix.ReplaceAllString(v, "")
		if trimmed == v {
			break
		}
		v = trimmed
	}
	return strings.ReplaceAll(v, "~", "")
}

var nameSeparators = regexp.MustCompile(`[-_.]+`)

// sdistFileName is the name PEP 625 gives a source distribution, which pip's
// --find-links matches against a requirement: the normalized project name (lowercase,
// runs of -_. as "_"), "-", the version, ".tar.gz".
func sdistFileName(name, version string) string {
	return strings.ToLower(nameSeparators.ReplaceAllString(name, "_")) + "-" + version + ".tar.gz"
}

// canonicalName is a project name as pip compares them (PEP 503).
func canonicalName(name string) string {
	return strings.ToLower(nameSeparators.ReplaceAllString(name, "-"))
}

// pipDefaultBuildRequires is what pip builds a project without a [build-system] with.
var pipDefaultBuildRequires = []string{"setuptools>=40.8.0"}

// inspectSdist reads an upstream tarball: one top directory holding setup.py or
// pyproject.toml; the project's name and version from PKG-INFO, else pyproject.toml's
// [project], else the top directory's name (NAME-VERSION), else the Debian source name
// and upstream version; and the build requirements of pyproject.toml's [build-system].
func inspectSdist(path, source, version, pythonVersion string) (Sdist, error) {
	sd := Sdist{Source: source, DebianVersion: version, orig: path}
	r, err := openTar(path)
	if err != nil {
		return sd, err
	}
	defer r.Close()
	tops := map[string]bool{}
	files := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return sd, fmt.Errorf("%s: %w", filepath.Base(path), err)
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue // git archive's commit id
		}
		name := strings.TrimPrefix(filepath.ToSlash(filepath.Clean(h.Name)), "./")
		if name == "." {
			continue
		}
		top, rest, _ := strings.Cut(name, "/")
		tops[top] = true
		switch rest {
		case "PKG-INFO", "pyproject.toml", "setup.py":
			data, err := io.ReadAll(io.LimitReader(tr, 1<<20))
			if err != nil {
				return sd, fmt.Errorf("%s: %w", filepath.Base(path), err)
			}
			files[rest] = data
		}
	}
	if err := r.Close(); err != nil {
		return sd, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	if len(tops) != 1 {
		return sd, fmt.Errorf("%s holds %d top-level entries, not one directory: not a source distribution pip can build", filepath.Base(path), len(tops))
	}
	var top string
	for t := range tops {
		top = t
	}
	_, hasSetup := files["setup.py"]
	pyproject, hasPyproject := files["pyproject.toml"]
	if !hasSetup && !hasPyproject {
		return sd, fmt.Errorf("%s has neither setup.py nor pyproject.toml in %s/: not a Python project", filepath.Base(path), top)
	}

	var meta struct {
		BuildSystem struct {
			Requires []string `toml:"requires"`
		} `toml:"build-system"`
		Project struct {
			Name    string `toml:"name"`
			Version string `toml:"version"`
		} `toml:"project"`
	}
	sd.BuildRequires = pipDefaultBuildRequires
	if hasPyproject {
		md, err := toml.Decode(string(pyproject), &meta)
		if err != nil {
			return sd, fmt.Errorf("%s: pyproject.toml: %w", filepath.Base(path), err)
		}
		if md.IsDefined("build-system") {
			if !md.IsDefined("build-system", "requires") {
				return sd, fmt.Errorf("%s: pyproject.toml's [build-system] has no requires: pip cannot build it", filepath.Base(path))
			}
			sd.BuildRequires = meta.BuildSystem.Requires
		}
	}
	sd.BuildRequires = requirementNames(sd.BuildRequires, pythonVersion)

	upstream := upstreamVersion(version)
	pkgName, pkgVersion := coreMetadata(files["PKG-INFO"])
	switch {
	case pkgName != "" && pkgVersion != "":
		sd.Name, sd.Version = pkgName, pkgVersion
	case meta.Project.Name != "":
		sd.Name, sd.Version = meta.Project.Name, meta.Project.Version
	case strings.HasSuffix(top, "-"+upstream):
		sd.Name = strings.TrimSuffix(top, "-"+upstream)
	default:
		sd.Name = source
	}
	if sd.Version == "" { // dynamic, or not declared outside setup.py
		sd.Version = upstream
	}
	sd.File = sdistFileName(sd.Name, sd.Version)
	return sd, nil
}

// coreMetadata reads Name and Version from PKG-INFO's headers.
func coreMetadata(data []byte) (name, version string) {
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			break
		}
		if v, ok := strings.CutPrefix(line, "Name:"); ok {
			name = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "Version:"); ok {
			version = strings.TrimSpace(v)
		}
	}
	return name, version
}

var (
	requirementName = regexp.MustCompile(`^\s*([A-Za-z0-9][A-Za-z0-9._-]*)`)
	pythonVersionIs = regexp.MustCompile(`^python_version\s*(<=|>=|==|!=|<|>)\s*['"]([0-9.]+)['"]$`)
)

// requirementNames are the distinct project names of PEP 508 requirements, less those
// whose marker is a python_version comparison false for pythonVersion (any other
// marker is taken to hold). Names are kept as spelled, first spelling first.
func requirementNames(reqs []string, pythonVersion string) []string {
	var out []string
	seen := map[string]bool{}
	for _, req := range reqs {
		spec, marker, _ := strings.Cut(req, ";")
		if m := pythonVersionIs.FindStringSubmatch(strings.TrimSpace(marker)); m != nil && !versionHolds(pythonVersion, m[1], m[2]) {
			continue
		}
		m := requirementName.FindStringSubmatch(spec)
		if m == nil || seen[canonicalName(m[1])] {
			continue
		}
		seen[canonicalName(m[1])] = true
		out = append(out, m[1])
	}
	return out
}

// versionHolds evaluates "have op want" on dotted release numbers.
func versionHolds(have, op, want string) bool {
	c := compareDotted(have, want)
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case "==":
		return c == 0
	}
	return c != 0
}

func compareDotted(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

// openTar opens a tarball as an uncompressed tar stream: gzip and bzip2 in Go, xz with
// the xz program (Go's library has no xz).
func openTar(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	switch {
	case strings.HasSuffix(path, ".gz"):
		z, err := gzip.NewReader(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
		}
		return readCloser{z, func() error { z.Close(); return f.Close() }}, nil
	case strings.HasSuffix(path, ".bz2"):
		return readCloser{bzip2.NewReader(f), f.Close}, nil
	case strings.HasSuffix(path, ".xz"):
		f.Close()
		if _, err := exec.LookPath("xz"); err != nil {
			return nil, fmt.Errorf("%s is xz-compressed and xz is not installed: apt-get install xz-utils", filepath.Base(path))
		}
		cmd := exec.Command("xz", "-dc", path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		return readCloser{out, func() error {
			io.Copy(io.Discard, out)
			if err := cmd.Wait(); err != nil {
				return fmt.Errorf("xz -d %s: %v %s", filepath.Base(path), err, strings.TrimSpace(stderr.String()))
			}
			return nil
		}}, nil
	}
	f.Close()
	return nil, fmt.Errorf("%s: not a .tar.gz, .tar.bz2 or .tar.xz", filepath.Base(path))
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// writeSdist writes the sdist into dir as a gzip-compressed tarball, the only sdist
// format PEP 625 allows: a .orig.tar.gz as it is, another compression re-packed (the
// tar stream unchanged, gzip's header without a time, so the file is the same every run).
func writeSdist(sd Sdist, dir string) error {
	out := filepath.Join(dir, sd.File)
	tmp := out + ".partial"
	if strings.HasSuffix(sd.orig, ".gz") {
		if err := copyFile(sd.orig, tmp); err != nil {
			return err
		}
		return os.Rename(tmp, out)
	}
	r, err := openTar(sd.orig)
	if err != nil {
		return err
	}
	defer r.Close()
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer f.Close()
	z, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	if _, err := io.Copy(z, r); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("re-packing %s: %w", filepath.Base(sd.orig), err)
	}
	if err := r.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := z.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// sourceMirror is the Debian mirror the source archive is read from: the option, else
// this machine's apt configuration.
func sourceMirror(opts Options) (string, error) {
	if opts.Mirror != "" {
		return strings.TrimRight(opts.Mirror, "/"), nil
	}
	return aptMirror("/")
}

// fetchSdists finds each named source package in the suite's source index and fetches
// its upstream tarball, verified against the index's SHA-256. The index and the
// tarballs are kept in the cache: a second run reads no network.
func fetchSdists(ctx context.Context, opts Options, names []string) ([]Sdist, error) {
	if len(names) == 0 {
		return nil, nil
	}
	mirror, mirrorErr := sourceMirror(opts)
	dir := filepath.Join(opts.cacheDir(), "sources")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// The index is cached by suite and mirror; with no mirror known, a cached index of
	// the suite is still good (an offline machine with its apt sources removed).
	index := filepath.Join(dir, opts.Suite+"-"+shortHash(mirror)+"-Sources.gz")
	if mirrorErr != nil {
		if cached, _ := filepath.Glob(filepath.Join(dir, opts.Suite+"-*-Sources.gz")); len(cached) > 0 {
			index = cached[0]
		}
	}
	if _, err := os.Stat(index); err != nil {
		if mirrorErr != nil {
			return nil, mirrorErr
		}
		opts.Log("kit: fetching %s's source index", opts.Suite)
		if err := download(ctx, mirror+"/"+sourceIndexPath(opts.Suite), index, ""); err != nil {
			return nil, err
		}
	}
	f, err := os.Open(index)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("source index %s: %w (remove it to fetch it again)", index, err)
	}
	stanzas, err := findSources(z, names)
	if err != nil {
		return nil, err
	}
	var sdists []Sdist
	for _, name := range names {
		s, ok := stanzas[name]
		if !ok {
			return nil, fmt.Errorf("--sdist %s: no source package %q in %s's source index: name the Debian source package (the Source field of `apt-cache show python3-NAME`; pyyaml for python3-yaml)", name, name, opts.Suite)
		}
		file, sum, err := s.origTarball()
		if err != nil {
			return nil, err
		}
		path := filepath.Join(dir, file)
		if fileSha256(path) != sum {
			if mirrorErr != nil {
				return nil, mirrorErr
			}
			opts.Log("kit: fetching %s", file)
			if err := download(ctx, mirror+"/"+s.Directory+"/"+file, path, sum); err != nil {
				return nil, err
			}
		}
		sd, err := inspectSdist(path, s.Package, s.Version, opts.PythonVersion)
		if err != nil {
			return nil, err
		}
		sdists = append(sdists, sd)
	}
	return sdists, nil
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

func fileSha256(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

// download writes url to path (through path.partial), checking the SHA-256 if given.
func download(ctx context.Context, url, path, sha string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("fetching %s: %w: %v", url, ErrArchiveUnreachable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetching %s: %s", url, resp.Status)
	}
	tmp := path + ".partial"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(f, h), resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("fetching %s: %w", url, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); sha != "" && got != sha {
		os.Remove(tmp)
		return fmt.Errorf("fetching %s: SHA-256 %s, but the source index says %s", url, got, sha)
	}
	return os.Rename(tmp, path)
}

// checkBuildRequires says which sdist needs a build requirement that neither a wheel
// nor another sdist in dir provides (pip's build isolation could not install it).
func checkBuildRequires(sdists []Sdist, dir string) error {
	have := map[string]bool{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if name, _, ok := strings.Cut(e.Name(), "-"); ok && strings.HasSuffix(e.Name(), ".whl") {
			have[canonicalName(name)] = true
		}
	}
	for _, sd := range sdists {
		have[canonicalName(sd.Name)] = true
	}
	var missing []string
	for _, sd := range sdists {
		for _, req := range sd.BuildRequires {
			if !have[canonicalName(req)] {
				missing = append(missing, fmt.Sprintf("%s (for %s)", req, sd.File))
			}
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return errors.New("no wheel of the build requirement " + strings.Join(missing, ", ") +
			" among the kit's wheels: add its Debian package with --with (python3-NAME), or its source with --sdist")
	}
	return nil
}
