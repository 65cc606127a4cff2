package measure

import (
	"archive/tar"
	"errors"
	"io"
	"path"
	"slices"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Contents is what an image carries, read from the image itself.
type Contents struct {
	// User the image runs as ("root" when the config names none).
	User       string `json:"user"`
	RunsAsRoot bool   `json:"runsAsRoot"`
	// Shell, Pip, Compiler and PackageManager list what was found of each (empty: none).
	Shell          []string `json:"shell"`
	Pip            []string `json:"pip"`
	Compiler       []string `json:"compiler"`
	PackageManager []string `json:"packageManager"`
	// SetuidFiles are files with the setuid or setgid bit.
	SetuidFiles []string `json:"setuidFiles"`
	// FileCount counts regular files in the final filesystem.
	FileCount int `json:"fileCount"`
	// LargestDirs are the biggest directories, two levels deep, by the bytes of their files.
	LargestDirs []DirSize `json:"largestDirs"`
	// WasteBytes are bytes in lower layers that a later layer deletes or overwrites:
	// shipped, but never seen (dive's "wasted space").
	WasteBytes int64 `json:"wasteBytes"`
}

// DirSize is the size of the files below one directory.
type DirSize struct {
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
}

// largestDirCount is how many directories the contents list.
const largestDirCount = 5

// What the contents look for, by file name in a directory on PATH.
var (
	binDirs         = []string{"bin", "usr/bin", "usr/local/bin", "sbin", "usr/sbin"}
	shellNames      = []string{"sh", "bash", "dash", "ash", "zsh"}
	compilerNames   = []string{"gcc", "cc", "c++", "g++", "clang", "tcc"}
	packageManagers = []string{"apt", "apt-get", "dpkg", "apk", "yum", "dnf", "microdnf", "rpm"}
)

// InspectImage reads the final filesystem and the layers of image.
func InspectImage(image v1.Image) (Contents, error) {
	cfg, err := image.ConfigFile()
	if err != nil {
		return Contents{}, err
	}
	_, listings, err := listLayers(image, cfg)
	if err != nil {
		return Contents{}, err
	}
	return inspectListings(cfg.Config.User, listings), nil
}

// inspectListings reports the contents of the image these layers make.
func inspectListings(user string, listings []layerListing) Contents {
	var c Contents
	c.User, c.RunsAsRoot = imageUser(user)
	c.readFilesystem(flatten(listings))
	c.WasteBytes = wastedBytes(listings)
	return c
}

// imageUser names the user and says whether it is root.
func imageUser(user string) (string, bool) {
	if user == "" {
		return "root", true
	}
	name, _, _ := strings.Cut(user, ":")
	return user, name == "0" || name == "root"
}

// readFilesystem reads the final filesystem (whiteouts applied).
func (c *Contents) readFilesystem(files []layerFile) {
	dirs := map[string]int64{}
	for _, f := range files {
		dir, base := path.Split(f.Name)
		dir = strings.TrimSuffix(dir, "/")
		if f.Type == tar.TypeReg || f.Type == tar.TypeSymlink || f.Type == tar.TypeLink {
			c.classify(dir, base, f.Name)
		}
		if f.Type == tar.TypeReg {
			c.FileCount++
			dirs[twoLevels(dir)] += f.Size
			if f.Mode&0o6000 != 0 {
				c.SetuidFiles = append(c.SetuidFiles, "/"+f.Name)
			}
		}
	}
	c.LargestDirs = largest(dirs, largestDirCount)
	for _, list := range []*[]string{&c.Shell, &c.Pip, &c.Compiler, &c.PackageManager, &c.SetuidFiles} {
		if *list == nil {
			*list = []string{}
		}
		sort.Strings(*list)
	}
}

// flatten applies the layers from the top down, as a container runtime unpacks them:
// the highest layer's entry for a path wins; a whiteout (.wh.NAME) removes NAME and
// what is below it from the lower layers, an opaque marker (.wh..wh..opq) everything
// below its directory, and a file or link hides the lower layers' entries below its path.
func flatten(listings []layerListing) []layerFile {
	decided := map[string]bool{} // path -> whether lower layers' entries below it are hidden
	var files []layerFile
	for i := len(listings) - 1; i >= 0; i-- {
		var hiddenHere []string
		for _, f := range listings[i].Files {
			if hiddenBelow(decided, f.Name) {
				continue
			}
			dir, base := path.Split(f.Name)
			switch {
			case base == ".wh..wh..opq":
				hiddenHere = append(hiddenHere, strings.TrimSuffix(dir, "/"))
			case strings.HasPrefix(base, ".wh."):
				hiddenHere = append(hiddenHere, dir+strings.TrimPrefix(base, ".wh."))
			default:
				if _, seen := decided[f.Name]; seen {
					continue
				}
				decided[f.Name] = f.Type != tar.TypeDir
				files = append(files, f)
			}
		}
		// A layer's whiteouts hide the layers below it, not its own entries.
		for _, name := range hiddenHere {
			decided[name] = true
		}
	}
	return files
}

// hiddenBelow says whether an upper layer hid name or one of its parents.
func hiddenBelow(decided map[string]bool, name string) bool {
	for dir := path.Dir(name); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if decided[dir] {
			return true
		}
	}
	return false
}

// classify notes a file that is a shell, pip, a compiler or a package manager.
func (c *Contents) classify(dir, base, name string) {
	inBin := slices.Contains(binDirs, dir) || strings.HasSuffix(dir, "/bin")
	switch {
	case inBin && slices.Contains(shellNames, base):
		c.Shell = append(c.Shell, "/"+name)
	case inBin && (base == "pip" || strings.HasPrefix(base, "pip3")):
		c.Pip = append(c.Pip, "/"+name)
	case (strings.HasSuffix(dir, "site-packages/pip") || strings.HasSuffix(dir, "dist-packages/pip")) && base == "__init__.py":
		c.Pip = append(c.Pip, "/"+dir)
	case inBin && (slices.Contains(compilerNames, base) || strings.HasPrefix(base, "gcc-") || strings.HasPrefix(base, "x86_64-linux-gnu-gcc")):
		c.Compiler = append(c.Compiler, "/"+name)
	case inBin && slices.Contains(packageManagers, base):
		c.PackageManager = append(c.PackageManager, "/"+name)
	}
}

// wastedBytes adds up the bytes of lower-layer files that a later layer deletes
// (whiteout, opaque directory) or replaces.
func wastedBytes(listings []layerListing) int64 {
	sizes := map[string]int64{} // path -> size of the file as the layers so far leave it
	var waste int64
	for _, listing := range listings {
		for _, f := range listing.Files {
			dir, base := path.Split(f.Name)
			switch {
			case base == ".wh..wh..opq":
				waste += removeBelow(sizes, strings.TrimSuffix(dir, "/"))
			case strings.HasPrefix(base, ".wh."):
				waste += removeBelow(sizes, dir+strings.TrimPrefix(base, ".wh."))
			default:
				waste += sizes[f.Name] // an overwritten file's earlier bytes
				sizes[f.Name] = 0
				if f.Type == tar.TypeReg {
					sizes[f.Name] = f.Size
				}
			}
		}
	}
	return waste
}

// eachTarEntry calls fn for every entry of a tar stream, with its path made relative to /.
func eachTarEntry(r io.Reader, fn func(h *tar.Header, name string)) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		fn(h, strings.TrimPrefix(path.Clean("/"+h.Name), "/"))
	}
}

// removeBelow forgets target and everything under it, returning their bytes.
func removeBelow(sizes map[string]int64, target string) int64 {
	var removed int64
	for name, size := range sizes {
		if name == target || strings.HasPrefix(name, target+"/") {
			removed += size
			delete(sizes, name)
		}
	}
	return removed
}

func twoLevels(dir string) string {
	parts := strings.SplitN(dir, "/", 3)
	if len(parts) > 2 {
		parts = parts[:2]
	}
	return "/" + strings.Join(parts, "/")
}

func largest(dirs map[string]int64, n int) []DirSize {
	list := make([]DirSize, 0, len(dirs))
	for p, b := range dirs {
		list = append(list, DirSize{Path: p, Bytes: b})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].Bytes != list[j].Bytes {
			return list[i].Bytes > list[j].Bytes
		}
		return list[i].Path < list[j].Path
	})
	if len(list) > n {
		list = list[:n]
	}
	return list
}
