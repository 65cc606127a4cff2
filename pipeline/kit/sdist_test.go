package kit

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sourcesIndex is a piece of a suite's Sources: two versions of one package, fields
// spread over continuation lines, a package whose name another's starts with.
const sourcesIndex = `Package: pyyaml
Binary: python3-yaml
Version: 5.4.1-1
Directory: pool/main/p/pyyaml
Checksums-Sha256:
 1111111111111111111111111111111111111111111111111111111111111111 2131 pyyaml_5.4.1-1.dsc
 2222222222222222222222222222222222222222222222222222222222222222 130631 pyyaml_5.4.1.orig.tar.gz

Package: pyyaml
Binary: python3-yaml
Version: 6.0.2-1
Maintainer: Debian Python Team <team+python@tracker.example>
Uploaders: A <a@example.org>,
 B <b@example.org>
Build-Depends: debhelper-compat (= 13), python3-all-dev, libyaml-dev, cython3
Files:
 0123456789abcdef0123456789abcdef 2131 pyyaml_6.0.2-1.dsc
Checksums-Sha256:
 6306e75c1b6c41c3d530afb50e25473e1c2b3cd4434510fab0c9132f6924cfa7 2131 pyyaml_6.0.2-1.dsc
 d584d9ec91ad65861cc08d42e834324ef890a082e591037abe114850ff7bbc3e 130631 pyyaml_6.0.2.orig.tar.gz
 d7869aae92f510860c3774d4f7e81c28fbca3bf23cc493e57e2d23bc274d8975 8144 pyyaml_6.0.2-1.debian.tar.xz
Directory: pool/main/p/pyyaml
Priority: source
Section: python

Package: pyyaml-env-tag
Version: 0.1-3
Directory: pool/main/p/pyyaml-env-tag
Checksums-Sha256:
 3333333333333333333333333333333333333333333333333333333333333333 10 pyyaml-env-tag_0.1.orig.tar.gz

Package: cython
Version: 3.0.11+dfsg-2
Directory: pool/main/c/cython
Checksums-Sha256:
 035baea0a04f381d1566728dd8be8c2c4f0371da58daa267084a7f53245cf349 2168724 cython_3.0.11+dfsg.orig.tar.xz
 0839c0eaa5af9919ddf1081c250261903d87b5c01e26a0e40b475943b77246d7 29284 cython_3.0.11+dfsg-2.debian.tar.xz

Package: tzdata
Version: 2025b-4
Format: 3.0 (native)
Directory: pool/main/t/tzdata
Checksums-Sha256:
 4444444444444444444444444444444444444444444444444444444444444444 10 tzdata_2025b-4.tar.xz
`

func TestFindSources(t *testing.T) {
	found, err := findSources(strings.NewReader(sourcesIndex), []string{"pyyaml", "cython", "tzdata", "absent"})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 3 {
		t.Fatalf("found %v", found)
	}
	for _, tc := range []struct {
		pkg, version, dir, orig, sum string
	}{
		{"pyyaml", "6.0.2-1", "pool/main/p/pyyaml", "pyyaml_6.0.2.orig.tar.gz", "d584d9ec91ad65861cc08d42e834324ef890a082e591037abe114850ff7bbc3e"},
		{"cython", "3.0.11+dfsg-2", "pool/main/c/cython", "cython_3.0.11+dfsg.orig.tar.xz", "035baea0a04f381d1566728dd8be8c2c4f0371da58daa267084a7f53245cf349"},
	} {
		s := found[tc.pkg]
		if s.Version != tc.version || s.Directory != tc.dir {
			t.Errorf("%s: %+v", tc.pkg, s)
		}
		orig, sum, err := s.origTarball()
		if err != nil || orig != tc.orig || sum != tc.sum {
			t.Errorf("%s: orig %s %s %v", tc.pkg, orig, sum, err)
		}
	}
	if _, _, err := found["tzdata"].origTarball(); err == nil || !strings.Contains(err.Error(), "Debian-native") {
		t.Errorf("a native package: %v", err)
	}
	if found, _ := findSources(strings.NewReader("Package: x\nVersion: 1-1\n"), []string{"x"}); len(found) != 0 {
		t.Errorf("a stanza without Directory taken: %v", found)
	}
}

func TestCompareDebianVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int // sign
	}{
		{"6.0.2-1", "5.4.1-1", 1},
		{"6.0.2-1", "6.0.2-1", 0},
		{"6.0.10-1", "6.0.9-1", 1},
		{"1:1.0-1", "2.0-1", 1},
		{"1.0~rc1-1", "1.0-1", -1},
		{"1.0-1", "1.0-1+b1", -1},
		{"1.0-1~bpo12+1", "1.0-1", -1},
		{"1.0a-1", "1.0-1", 1},
		{"1.0+dfsg-1", "1.0-1", 1},
		{"2.9.10-1", "2.9.9-3", 1},
		{"1.01-1", "1.1-1", 0},
	} {
		got := compareDebianVersions(tc.a, tc.b)
		if (got > 0) != (tc.want > 0) || (got < 0) != (tc.want < 0) {
			t.Errorf("compare(%s, %s) = %d, want sign %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestSdistFileName: a Debian version, read as the upstream release, and the project
// name give the file name pip looks for.
func TestSdistFileName(t *testing.T) {
	for _, tc := range []struct {
		name, debian, upstream, file string
	}{
		{"psycopg2", "2.9.10-1", "2.9.10", "psycopg2-2.9.10.tar.gz"},
		{"PyYAML", "6.0.2-1", "6.0.2", "pyyaml-6.0.2.tar.gz"},
		{"Cython", "3.0.11+dfsg-2", "3.0.11", "cython-3.0.11.tar.gz"},
		{"zope.interface", "1:7.2-1", "7.2", "zope_interface-7.2.tar.gz"},
		{"python-dateutil", "2.9.0-3+deb13u1", "2.9.0", "python_dateutil-2.9.0.tar.gz"},
		{"lxml", "5.4.0+ds1-1", "5.4.0", "lxml-5.4.0.tar.gz"},
		{"Foo_Bar", "1.0~rc1-1", "1.0rc1", "foo_bar-1.0rc1.tar.gz"},
		{"pkg", "2.0+dfsg1+ds-2", "2.0", "pkg-2.0.tar.gz"},
		{"pkg", "2.0.repack-1", "2.0", "pkg-2.0.tar.gz"},
		{"libxml2", "2.12.7+dfsg+really2.9.14-2.1", "2.9.14", "libxml2-2.9.14.tar.gz"},
		{"native", "1.5", "1.5", "native-1.5.tar.gz"},
		{"dashed-version", "1.0-2-3", "1.0-2", "dashed_version-1.0-2.tar.gz"},
	} {
		if got := upstreamVersion(tc.debian); got != tc.upstream {
			t.Errorf("upstreamVersion(%s) = %s, want %s", tc.debian, got, tc.upstream)
		}
		if got := sdistFileName(tc.name, upstreamVersion(tc.debian)); got != tc.file {
			t.Errorf("sdistFileName(%s, %s) = %s, want %s", tc.name, tc.debian, got, tc.file)
		}
	}
}

func TestRequirementNames(t *testing.T) {
	got := requirementNames([]string{
		"setuptools  # a comment is not PEP 508, but the name still reads",
		"wheel",
		"Cython; python_version < '3.13'",
		"Cython>=3.0; python_version >= '3.13'",
		"tomli>=1; python_version < \"3.11\"",
		"cffi>=1.0 ; platform_python_implementation != 'PyPy'",
		"foo[bar]>=2",
	}, "3.13")
	if strings.Join(got, " ") != "setuptools wheel Cython cffi foo" {
		t.Errorf("got %v", got)
	}
}

// writeTarball writes a gzip-compressed tarball of files (path → content; a path ending
// in "/" is a directory), the way upstream release tarballs are.
func writeTarball(t *testing.T, path string, files [][2]string) {
	t.Helper()
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	tw := tar.NewWriter(z)
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": "0123abcd"}})
	for _, f := range files {
		if strings.HasSuffix(f[0], "/") {
			tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: f[0], Mode: 0o755})
			continue
		}
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f[0], Mode: 0o644, Size: int64(len(f[1]))})
		tw.Write([]byte(f[1]))
	}
	tw.Close()
	z.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestInspectSdist(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, source, version string
		files                 [][2]string
		want                  Sdist
		err                   string
	}{
		{"PKG-INFO names it", "pyyaml", "6.0.2-1", [][2]string{
			{"pyyaml-6.0.2/", ""},
			{"pyyaml-6.0.2/PKG-INFO", "Metadata-Version: 2.1\nName: PyYAML\nVersion: 6.0.2\n\nbody Name: nope\n"},
			{"pyyaml-6.0.2/pyproject.toml", "[build-system]\nrequires = [\"setuptools\", \"wheel\", \"Cython; python_version < '3.13'\", \"Cython>=3.0; python_version >= '3.13'\"]\nbuild-backend = \"_pyyaml_pep517\"\n"},
			{"pyyaml-6.0.2/setup.py", ""},
		}, Sdist{Name: "PyYAML", Version: "6.0.2", File: "pyyaml-6.0.2.tar.gz", BuildRequires: []string{"setuptools", "wheel", "Cython"}}, ""},
		{"a git tarball: the top directory names it, pip's default backend builds it", "psycopg2", "2.9.10-1", [][2]string{
			{"psycopg2-2.9.10/", ""}, {"psycopg2-2.9.10/setup.py", ""}, {"psycopg2-2.9.10/setup.cfg", "[metadata]\n"},
		}, Sdist{Name: "psycopg2", Version: "2.9.10", File: "psycopg2-2.9.10.tar.gz", BuildRequires: []string{"setuptools"}}, ""},
		{"pyproject's [project]", "python-foo", "1:1.2+dfsg-3", [][2]string{
			{"./foo-src/pyproject.toml", "[build-system]\nrequires = [\"flit_core >=3.2,<4\"]\nbuild-backend = \"flit_core.buildapi\"\n[project]\nname = \"Foo.Bar\"\nversion = \"1.2\"\n"},
		}, Sdist{Name: "Foo.Bar", Version: "1.2", File: "foo_bar-1.2.tar.gz", BuildRequires: []string{"flit_core"}}, ""},
		{"no name anywhere: the source package's", "python-baz", "0.3-1", [][2]string{
			{"baz/setup.py", ""},
		}, Sdist{Name: "python-baz", Version: "0.3", File: "python_baz-0.3.tar.gz", BuildRequires: []string{"setuptools"}}, ""},
		{"two top directories", "x", "1-1", [][2]string{{"a/setup.py", ""}, {"b/setup.py", ""}}, Sdist{}, "2 top-level entries"},
		{"not a Python project", "x", "1-1", [][2]string{{"x-1/configure", ""}}, Sdist{}, "neither setup.py nor pyproject.toml"},
		{"build-system without requires", "x", "1-1", [][2]string{{"x-1/pyproject.toml", "[build-system]\nbuild-backend = \"x\"\n"}}, Sdist{}, "has no requires"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.source+"_"+upstreamVersion(tc.version)+".orig.tar.gz")
			writeTarball(t, path, tc.files)
			got, err := inspectSdist(path, tc.source, tc.version, "3.13")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != tc.want.Name || got.Version != tc.want.Version || got.File != tc.want.File ||
				strings.Join(got.BuildRequires, " ") != strings.Join(tc.want.BuildRequires, " ") {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestSdistsResolveWithPip: pip, with --no-index --find-links, finds the sdists for the
// requirements as named on PyPI (PyYAML, psycopg2), one re-packed from .tar.xz, the
// same bytes every run.
func TestSdistsResolveWithPip(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 on this machine")
	}
	if _, err := exec.LookPath("xz"); err != nil {
		t.Skip("no xz: apt-get install xz-utils")
	}
	cache, wheels := t.TempDir(), t.TempDir()
	// PyYAML as Debian has it: PKG-INFO; psycopg2: a git tarball, setup.py only, xz-compressed.
	files := [][2]string{
		{"psycopg2-2.9.10/setup.py", "from setuptools import setup\nsetup(name='psycopg2', version='2.9.10', py_modules=['psycopg2'])\n"},
		{"psycopg2-2.9.10/psycopg2.py", "VALUE = 'psycopg2 from the sdist'\n"},
	}
	writeTarball(t, filepath.Join(cache, "psycopg2.tar.gz"), files)
	xz := exec.Command("sh", "-c", "gzip -dc psycopg2.tar.gz | xz -c > psycopg2_2.9.10.orig.tar.xz")
	xz.Dir = cache
	if b, err := xz.CombinedOutput(); err != nil {
		t.Fatalf("xz: %v %s", err, b)
	}
	writeTarball(t, filepath.Join(cache, "pyyaml_6.0.2.orig.tar.gz"), [][2]string{
		{"pyyaml-6.0.2/PKG-INFO", "Metadata-Version: 2.1\nName: PyYAML\nVersion: 6.0.2\n"},
		{"pyyaml-6.0.2/setup.py", "from setuptools import setup\nsetup(name='PyYAML', version='6.0.2', py_modules=['yaml'])\n"},
		{"pyyaml-6.0.2/yaml.py", "VALUE = 'yaml from the sdist'\n"},
	})
	var written [][]byte
	for _, orig := range []struct{ file, source, version string }{
		{"pyyaml_6.0.2.orig.tar.gz", "pyyaml", "6.0.2-1"},
		{"psycopg2_2.9.10.orig.tar.xz", "psycopg2", "2.9.10-1"},
		{"psycopg2_2.9.10.orig.tar.xz", "psycopg2", "2.9.10-1"}, // again: the same bytes
	} {
		sd, err := inspectSdist(filepath.Join(cache, orig.file), orig.source, orig.version, "3.13")
		if err != nil {
			t.Fatal(err)
		}
		if err := writeSdist(sd, wheels); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(wheels, sd.File))
		written = append(written, b)
	}
	if !bytes.Equal(written[1], written[2]) {
		t.Error("a re-packed sdist differs between two runs")
	}
	entries, _ := os.ReadDir(wheels)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "psycopg2-2.9.10.tar.gz pyyaml-6.0.2.tar.gz" {
		t.Fatalf("wheels directory: %v", names)
	}
	// pip's finder reads project and version from the file names, for the names as PyPI spells them.
	for req, version := range map[string]string{"PyYAML": "6.0.2", "psycopg2": "2.9.10"} {
		index := exec.Command(python, "-m", "pip", "index", "versions", "--no-index", "--find-links", wheels, req)
		index.Env = cleanEnv(os.Environ())
		if out, err := index.CombinedOutput(); err != nil || !strings.Contains(string(out), "Available versions: "+version+"\n") {
			t.Errorf("pip index versions %s: %v\n%s", req, err, out)
		}
	}
	// Building them is the kit's podman test's (TestKitSdistsBuildFromSourceOffline): it
	// needs a Python that Debian's setuptools, which the kit's wheels carry, works with.
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCheckBuildRequires(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"setuptools-78.1.1-py3-none-any.whl", "wheel-0.46.1-py3-none-any.whl", "flit_core-3.12.0-py3-none-any.whl"} {
		writeFile(t, filepath.Join(dir, f), "")
	}
	pyyaml := Sdist{Name: "PyYAML", File: "pyyaml-6.0.2.tar.gz", BuildRequires: []string{"setuptools", "wheel", "Cython"}}
	flit := Sdist{Name: "foo", File: "foo-1.tar.gz", BuildRequires: []string{"Flit-Core"}}
	err := checkBuildRequires([]Sdist{pyyaml, flit}, dir)
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "Cython (for pyyaml-6.0.2.tar.gz)") || strings.Contains(err.Error(), "Flit") {
		t.Fatalf("got %v", err)
	}
	writeFile(t, filepath.Join(dir, "cython-3.0.11-cp313-cp313-linux_x86_64.whl"), "")
	if err := checkBuildRequires([]Sdist{pyyaml, flit}, dir); err != nil {
		t.Fatal(err)
	}
	// Another sdist may be the build requirement.
	if err := checkBuildRequires([]Sdist{{Name: "bar", File: "bar-1.tar.gz", BuildRequires: []string{"foo"}}, flit}, dir); err != nil {
		t.Fatal(err)
	}
}

// fakeMirror serves a suite's source index and one upstream tarball, as Debian's
// archive lays them out, and counts the requests.
func fakeMirror(t *testing.T, orig []byte, sum string) (*httptest.Server, *int) {
	t.Helper()
	var index bytes.Buffer
	z := gzip.NewWriter(&index)
	z.Write([]byte("Package: psycopg2\nVersion: 2.9.10-1\nDirectory: pool/main/p/psycopg2\nChecksums-Sha256:\n " +
		sum + " " + "1 psycopg2_2.9.10.orig.tar.gz\n 00 1 psycopg2_2.9.10-1.debian.tar.xz\n"))
	z.Close()
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		switch r.URL.Path {
		case "/debian/dists/trixie/main/source/Sources.gz":
			w.Write(index.Bytes())
		case "/debian/pool/main/p/psycopg2/psycopg2_2.9.10.orig.tar.gz":
			w.Write(orig)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &requests
}

// TestFetchSdists reads a mirror once: the second run reads the cache alone.
func TestFetchSdists(t *testing.T) {
	src := filepath.Join(t.TempDir(), "orig.tar.gz")
	writeTarball(t, src, [][2]string{{"psycopg2-2.9.10/setup.py", ""}})
	orig, _ := os.ReadFile(src)
	sum := sha256.Sum256(orig)
	srv, requests := fakeMirror(t, orig, hex.EncodeToString(sum[:]))
	opts := Options{Dir: t.TempDir(), Suite: "trixie", PythonVersion: "3.13", Mirror: srv.URL + "/debian/", Log: t.Logf}
	for run := 0; run < 2; run++ {
		sdists, err := fetchSdists(t.Context(), opts, []string{"psycopg2"})
		if err != nil {
			t.Fatal(err)
		}
		if len(sdists) != 1 || sdists[0].File != "psycopg2-2.9.10.tar.gz" || sdists[0].DebianVersion != "2.9.10-1" {
			t.Fatalf("got %+v", sdists)
		}
		if *requests != 2 {
			t.Fatalf("run %d: %d requests to the mirror, want the index and the tarball once", run+1, *requests)
		}
	}
	_, err := fetchSdists(t.Context(), opts, []string{"psycopg2", "psycopg"})
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), `no source package "psycopg" in trixie's source index`) {
		t.Fatalf("an unknown name: %v", err)
	}
}

func TestFetchSdistsRefusesATarballOfAnotherSum(t *testing.T) {
	srv, _ := fakeMirror(t, []byte("not what the index says"), strings.Repeat("ab", 32))
	opts := Options{Dir: t.TempDir(), Suite: "trixie", PythonVersion: "3.13", Mirror: srv.URL + "/debian", Log: t.Logf}
	_, err := fetchSdists(t.Context(), opts, []string{"psycopg2"})
	if err == nil || !strings.Contains(err.Error(), "but the source index says") {
		t.Fatalf("got %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(opts.Dir, "cache/sources/psycopg2*")); len(m) > 0 {
		t.Errorf("a bad tarball was kept: %v", m)
	}
}

func TestMakeRefusesABadSdistNameBeforeBuilding(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kit")
	_, err := Make(t.Context(), Options{Dir: dir, Sdists: []string{"PyYAML"}})
	if err == nil || !strings.Contains(err.Error(), "not a Debian source package name") {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("the kit directory was made before the names were checked")
	}
}

func TestSdistsAddCythonToTheHarvest(t *testing.T) {
	if got := harvestWith(Options{With: []string{"python3-yaml"}}); strings.Join(got, " ") != "python3-yaml" {
		t.Errorf("without sdists: %v", got)
	}
	if got := harvestWith(Options{With: []string{"python3-yaml"}, Sdists: []string{"pyyaml"}}); strings.Join(got, " ") != "python3-yaml cython3" {
		t.Errorf("with sdists: %v", got)
	}
}
