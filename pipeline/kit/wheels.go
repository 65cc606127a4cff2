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
// dist-packages (from dpkg's file lists); its metadata is the package's own dist-info.
func WriteWheels(harvest, out string) ([]string, error) {
	owners, files, err := readDpkgLists(harvest)
	if err != nil {
		return nil, err
	}
	infos, _ := filepath.Glob(filepath.Join(harvest, distPackages, "*.dist-info"))
	eggs, _ := filepath.Glob(filepath.Join(harvest, distPackages, "*.egg-info"))
	infos = append(infos, eggs...)
	if len(infos) == 0 {
		return nil, fmt.Errorf("no Python distributions found in %s", harvest)
	}
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
		wheel, err := writeWheel(harvest, info, files[pkg], tmp)
		if err != nil {
			os.RemoveAll(tmp)
			return nil, fmt.Errorf("wheel from %s: %w", pkg, err)
		}
		written = append(written, wheel)
	}
	os.RemoveAll(out)
	if err := os.Rename(tmp, out); err != nil {
		return nil, err
	}
	sort.Strings(written)
	return written, nil
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

// metadataFile is the core metadata of an installed distribution: METADATA in a
// dist-info, PKG-INFO in an older egg-info (same format).
func metadataFile(info string) string {
	if strings.HasSuffix(info, ".egg-info") {
		return filepath.Join(info, "PKG-INFO")
	}
	return filepath.Join(info, "METADATA")
}

// eggCarried are the egg-info files a wheel's dist-info keeps, under the same name.
var eggCarried = map[string]bool{"entry_points.txt": true, "top_level.txt": true}

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

// writeWheel writes one wheel (PEP 427) from a package's installed files.
func writeWheel(root, info string, pkgFiles []string, out string) (string, error) {
	name, version, err := metadata(info)
	if err != nil {
		return "", err
	}
	infoName := filepath.Base(info)
	var members []string // paths relative to dist-packages
	tag := "py3-none-any"
	for _, path := range pkgFiles {
		rel, ok := strings.CutPrefix(path, "/"+distPackages+"/")
		if !ok || strings.Contains(rel, "__pycache__") || strings.HasPrefix(rel, infoName+"/") {
			continue
		}
		if st, err := os.Stat(filepath.Join(root, path)); err != nil || !st.Mode().IsRegular() {
			continue
		}
		if m := extensionTag.FindStringSubmatch(rel); m != nil {
			tag = "cp" + m[1] + "-cp" + m[1] + "-linux_x86_64"
		}
		members = append(members, rel)
	}
	egg := strings.HasSuffix(infoName, ".egg-info")
	if egg {
		if requires, err := os.ReadFile(filepath.Join(info, "requires.txt")); err == nil && len(bytes.TrimSpace(requires)) > 0 {
			return "", fmt.Errorf("%s declares requirements in requires.txt, which the kit does not convert", infoName)
		}
	}
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

	normalized := strings.ToLower(regexp.MustCompile(`[-_.]+`).ReplaceAllString(name, "_"))
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
		data, err := os.ReadFile(filepath.Join(root, distPackages, rel))
		if err != nil {
			return "", err
		}
		// The dist-info may be spelled differently by Debian; the wheel's must match its file name.
		arcname := strings.Replace(rel, infoName+"/", wheelInfo+"/", 1)
		if err := add(arcname, data); err != nil {
			return "", err
		}
	}
	if egg {
		data, err := os.ReadFile(metadataFile(info))
		if err != nil {
			return "", err
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
