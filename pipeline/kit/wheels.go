package kit

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// zipEpoch is the earliest time a zip can hold: wheels come out the same every run.
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// distPackages is where Debian installs its Python packages.
const distPackages = "usr/lib/python3/dist-packages"

// dist-info files that describe an installation, not a package: a wheel must not carry them.
var installOnly = map[string]bool{"RECORD": true, "INSTALLER": true, "REQUESTED": true, "direct_url.json": true, "WHEEL": true}

// extensionTag reads the Python tag from a compiled module's name (cpython-313-x86_64-linux-gnu).
var extensionTag = regexp.MustCompile(`\.cpython-(\d+)-x86_64-linux-gnu\.so$`)

// WriteWheels turns every Python distribution installed in the harvest root into a
// wheel in out. A distribution's files are those its Debian package installed below
// dist-packages (from dpkg's file lists); its metadata is the package's own dist-info;
// unless opts.SystemLinked, the libraries its compiled files link that the manylinux
// policy does not count on come along in the wheel, as in PyPI's wheels.
func WriteWheels(harvest, out string, opts WheelOptions) ([]string, error) {
	owners, files, err := readDpkgLists(harvest)
	if err != nil {
		return nil, err
	}
	infos, _ := filepath.Glob(filepath.Join(harvest, distPackages, "*.dist-info"))
	eggs, _ := filepath.Glob(filepath.Join(harvest, distPackages, "*.egg-info"))
	infos = append(infos, eggs...)
	sort.Strings(infos)
	if len(infos) == 0 {
		return nil, fmt.Errorf("no Python distributions found in %s", harvest)
	}
	infoOwners := map[string]bool{}
	for _, info := range infos {
		infoOwners[owners["/"+distPackages+"/"+filepath.Base(info)]] = true
	}
	mergeSplitPackages(files, infoOwners, readDpkgSources(harvest))
	tmp := out + ".partial"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, err
	}
	var written []string
	for _, info := range infos {
		rel := "/" + distPackages + "/" + filepath.Base(info)
		pkg, ok := owners[rel]
		if !ok {
			return nil, fmt.Errorf("no Debian package owns %s", rel)
		}
		wheel, err := writeWheel(harvest, info, files[pkg], tmp, opts)
		if err != nil {
			os.RemoveAll(tmp)
			return nil, fmt.Errorf("wheel from %s: %w", pkg, err)
		}
		written = append(written, wheel)
	}
	// Wheels the same as those in place are left in place: another process (a test
	// binary beside this one) may be installing from them right now.
	if sameWheels(tmp, out) {
		os.RemoveAll(tmp)
	} else {
		os.RemoveAll(out)
		if err := os.Rename(tmp, out); err != nil {
			return nil, err
		}
	}
	sort.Strings(written)
	return written, nil
}

// sameWheels says whether every wheel in dir b is in dir a with the same bytes, and a
// has no other: the wheels a new harvest made are those already there.
func sameWheels(a, b string) bool {
	made, _ := filepath.Glob(filepath.Join(a, "*.whl"))
	there, _ := filepath.Glob(filepath.Join(b, "*.whl"))
	if len(made) == 0 || len(made) != len(there) {
		return false
	}
	for _, path := range made {
		x, errX := os.ReadFile(path)
		y, errY := os.ReadFile(filepath.Join(b, filepath.Base(path)))
		if errX != nil || errY != nil || !bytes.Equal(x, y) {
			return false
		}
	}
	return true
}

// readDpkgLists maps each installed path to its package, and each package to its files.
func readDpkgLists(root string) (map[string]string, map[string][]string, error) {
	lists, err := filepath.Glob(filepath.Join(root, "var/lib/dpkg/info/*.list"))
	if err != nil || len(lists) == 0 {
		return nil, nil, fmt.Errorf("no dpkg file lists in %s", root)
	}
	owners := map[string]string{}
	files := map[string][]string{}
	for _, list := range lists {
		pkg := strings.SplitN(strings.TrimSuffix(filepath.Base(list), ".list"), ":", 2)[0]
		data, err := os.ReadFile(list)
		if err != nil {
			return nil, nil, err
		}
		scanner := bufio.NewScanner(bytes.NewReader(data))
		for scanner.Scan() {
			path := scanner.Text()
			owners[path] = pkg
			files[pkg] = append(files[pkg], path)
		}
	}
	return owners, files, nil
}

// readDpkgSources maps each installed package to its Debian source package, from
// dpkg's status file (a package without a Source field is its own source). Without a
// status file the map is empty.
func readDpkgSources(root string) map[string]string {
	sources := map[string]string{}
	data, err := os.ReadFile(filepath.Join(root, "var/lib/dpkg/status"))
	if err != nil {
		return sources
	}
	for _, stanza := range strings.Split(string(data), "\n\n") {
		var pkg, source string
		for _, line := range strings.Split(stanza, "\n") {
			if v, ok := strings.CutPrefix(line, "Package: "); ok {
				pkg = strings.TrimSpace(v)
			}
			if v, ok := strings.CutPrefix(line, "Source: "); ok && len(strings.Fields(v)) > 0 {
				source = strings.Fields(v)[0] // "name (version)" when the versions differ
			}
		}
		if pkg == "" {
			continue
		}
		if source == "" {
			source = pkg
		}
		sources[pkg] = source
	}
	return sources
}

// mergeSplitPackages gives the Python files of a Debian package that owns no
// distribution metadata (python3-pkg-resources, split out of setuptools) to the one
// package of the same source that does, so that the wheel carries them as upstream's does.
func mergeSplitPackages(files map[string][]string, infoOwners map[string]bool, sources map[string]string) {
	var orphans []string
	for pkg, paths := range files {
		if infoOwners[pkg] {
			continue
		}
		for _, path := range paths {
			if strings.HasPrefix(path, "/"+distPackages+"/") {
				orphans = append(orphans, pkg)
				break
			}
		}
	}
	sort.Strings(orphans)
	for _, orphan := range orphans {
		source, ok := sources[orphan]
		if !ok {
			continue
		}
		var heirs []string
		for pkg := range infoOwners {
			if sources[pkg] == source {
				heirs = append(heirs, pkg)
			}
		}
		if len(heirs) == 1 {
			files[heirs[0]] = append(files[heirs[0]], files[orphan]...)
		}
	}
}

// readInRoot reads a file of the harvest root, following symbolic links inside the
// root (an absolute link target is taken from the root, not from this machine). A link
// that leads nowhere in the root, or to something that is not a regular file, is not there.
func readInRoot(root, path string) ([]byte, bool) {
	real, ok := resolveInRoot(root, path)
	if !ok {
		return nil, false
	}
	data, err := os.ReadFile(filepath.Join(root, real))
	return data, err == nil
}

// metadataFile is the core metadata of an installed distribution: METADATA in a
// dist-info, PKG-INFO in an older egg-info (same format).
func metadataFile(info string) string {
	if strings.HasSuffix(info, ".egg-info") {
		return filepath.Join(info, "PKG-INFO")
	}
	return filepath.Join(info, "METADATA")
}

// eggCarried are the egg-info files a wheel's dist-info keeps, under the same name
// (entry_points.txt holds the console scripts pip makes on install).
var eggCarried = map[string]bool{"entry_points.txt": true, "top_level.txt": true}

// eggMetadata is an egg-info's PKG-INFO made into a wheel's METADATA: requirements that
// only requires.txt declares (older setuptools wrote them there) become Requires-Dist
// and Provides-Extra headers, as wheel's bdist_wheel converts them. A PKG-INFO that
// declares requirements itself is kept as it is.
func eggMetadata(pkgInfo, requiresTxt []byte) ([]byte, error) {
	text := string(pkgInfo)
	headers, body, hasBody := strings.Cut(text, "\n\n")
	for _, line := range strings.Split(headers, "\n") {
		if strings.HasPrefix(line, "Requires-Dist:") || strings.HasPrefix(line, "Provides-Extra:") {
			return pkgInfo, nil
		}
	}
	added, err := requiresToMetadata(string(requiresTxt))
	if err != nil || len(added) == 0 {
		return pkgInfo, err
	}
	lines := strings.Split(strings.TrimRight(headers, "\n"), "\n")
	for i, line := range lines {
		if v, ok := strings.CutPrefix(line, "Metadata-Version:"); ok && olderThan21(strings.TrimSpace(v)) {
			lines[i] = "Metadata-Version: 2.1" // Provides-Extra came with 2.1
		}
	}
	lines = append(lines, added...)
	out := strings.Join(lines, "\n") + "\n"
	if hasBody {
		out += "\n" + body
	}
	return []byte(out), nil
}

func olderThan21(version string) bool {
	major, minor, _ := strings.Cut(version, ".")
	return major < "2" || major == "2" && minor < "1"
}

// unsafeExtra is what setuptools and wheel replace with "_" in an extra's name.
var unsafeExtra = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

// requiresToMetadata turns requires.txt (requirements, then [extra], [:marker] or
// [extra:marker] sections) into Requires-Dist and Provides-Extra header lines.
func requiresToMetadata(requires string) ([]string, error) {
	var out []string
	extra, marker := "", ""
	for _, raw := range strings.Split(requires, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") {
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("requires.txt: bad section %q", line)
			}
			section := strings.TrimSpace(line[1 : len(line)-1])
			extra, marker, _ = strings.Cut(section, ":")
			extra = strings.ToLower(unsafeExtra.ReplaceAllString(strings.TrimSpace(extra), "_"))
			marker = strings.TrimSpace(marker)
			if extra != "" {
				out = append(out, "Provides-Extra: "+extra)
			}
			continue
		}
		req, own, _ := strings.Cut(line, ";")
		req, own = strings.TrimSpace(req), strings.TrimSpace(own)
		var conds []string
		for _, m := range []string{own, marker} {
			if m != "" {
				conds = append(conds, m)
			}
		}
		condition := ""
		switch {
		case len(conds) == 1 && extra == "":
			condition = conds[0]
		case len(conds) > 0:
			for i, c := range conds {
				conds[i] = "(" + c + ")"
			}
			condition = strings.Join(conds, " and ")
		}
		if extra != "" {
			if condition != "" {
				condition += " and "
			}
			condition += "extra == '" + extra + "'"
		}
		if condition != "" {
			req += "; " + condition
		}
		out = append(out, "Requires-Dist: "+req)
	}
	// An extra named twice (two sections with different markers) is provided once.
	seen := map[string]bool{}
	kept := out[:0]
	for _, h := range out {
		if strings.HasPrefix(h, "Provides-Extra: ") {
			if seen[h] {
				continue
			}
			seen[h] = true
		}
		kept = append(kept, h)
	}
	return kept, nil
}

// metadata reads Name and Version from a distribution's core metadata.
func metadata(info string) (name, version string, err error) {
	data, err := os.ReadFile(metadataFile(info))
	if err != nil {
		return "", "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" {
			break // the headers end at the first blank line
		}
		if v, ok := strings.CutPrefix(line, "Name: "); ok {
			name = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "Version: "); ok {
			version = strings.TrimSpace(v)
		}
	}
	if name == "" || version == "" {
		return "", "", fmt.Errorf("%s lacks Name or Version", metadataFile(info))
	}
	return name, version, nil
}

func isInfoDir(name string) bool {
	return strings.HasSuffix(name, ".dist-info") || strings.HasSuffix(name, ".egg-info")
}

// writeWheel writes one wheel (PEP 427) from a package's installed files.
func writeWheel(root, info string, pkgFiles []string, out string, opts WheelOptions) (string, error) {
	name, version, err := metadata(info)
	if err != nil {
		return "", err
	}
	infoName := filepath.Base(info)
	var members []string // paths relative to dist-packages
	tag := "py3-none-any"
	contents := map[string][]byte{}
	for _, path := range pkgFiles {
		rel, ok := strings.CutPrefix(path, "/"+distPackages+"/")
		if !ok || strings.Contains(rel, "__pycache__") || isInfoDir(strings.SplitN(rel, "/", 2)[0]) {
			continue // bytecode, and this or another distribution's installed metadata
		}
		if _, seen := contents[rel]; seen {
			continue
		}
		data, ok := readInRoot(root, path)
		if !ok {
			continue // a directory, or a link to a file the root lacks
		}
		if m := extensionTag.FindStringSubmatch(rel); m != nil {
			tag = "cp" + m[1] + "-cp" + m[1] + "-linux_x86_64"
		}
		contents[rel] = data
		members = append(members, rel)
	}
	normalized := strings.ToLower(regexp.MustCompile(`[-_.]+`).ReplaceAllString(name, "_"))
	if !opts.SystemLinked {
		libs, err := graftLibraries(root, normalized+".libs", contents)
		if err != nil {
			return "", err
		}
		for rel, data := range libs {
			contents[rel] = data
			members = append(members, rel)
		}
	}
	egg := strings.HasSuffix(infoName, ".egg-info")
	entries, err := os.ReadDir(info)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || installOnly[e.Name()] || egg && !eggCarried[e.Name()] {
			continue
		}
		members = append(members, infoName+"/"+e.Name())
	}
	sort.Strings(members)

	wheelInfo := normalized + "-" + version + ".dist-info"
	filename := fmt.Sprintf("%s-%s-%s.whl", normalized, version, tag)
	f, err := os.Create(filepath.Join(out, filename))
	if err != nil {
		return "", err
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	var record strings.Builder
	add := func(arcname string, data []byte) error {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: arcname, Method: zip.Deflate, Modified: zipEpoch})
		if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", arcname, base64.RawURLEncoding.EncodeToString(sum[:]), len(data))
		return nil
	}
	for _, rel := range members {
		data, ok := contents[rel]
		if !ok {
			if data, err = os.ReadFile(filepath.Join(root, distPackages, rel)); err != nil {
				return "", err
			}
		}
		// The dist-info may be spelled differently by Debian; the wheel's must match its file name.
		arcname := strings.Replace(rel, infoName+"/", wheelInfo+"/", 1)
		if err := add(arcname, data); err != nil {
			return "", err
		}
	}
	if egg {
		pkgInfo, err := os.ReadFile(metadataFile(info))
		if err != nil {
			return "", err
		}
		requires, _ := os.ReadFile(filepath.Join(info, "requires.txt"))
		data, err := eggMetadata(pkgInfo, requires)
		if err != nil {
			return "", fmt.Errorf("%s: %w", infoName, err)
		}
		if err := add(wheelInfo+"/METADATA", data); err != nil {
			return "", err
		}
	}
	purelib := tag == "py3-none-any"
	wheelMeta := fmt.Sprintf("Wheel-Version: 1.0\nGenerator: multistage-kit\nRoot-Is-Purelib: %t\nTag: %s\n", purelib, tag)
	if err := add(wheelInfo+"/WHEEL", []byte(wheelMeta)); err != nil {
		return "", err
	}
	record.WriteString(wheelInfo + "/RECORD,,\n")
	w, err := zw.CreateHeader(&zip.FileHeader{Name: wheelInfo + "/RECORD", Method: zip.Deflate, Modified: zipEpoch})
	if err != nil {
		return "", err
	}
	if _, err := w.Write([]byte(record.String())); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(out), filepath.Base(strings.TrimSuffix(out, ".partial")), filename), f.Close()
}
