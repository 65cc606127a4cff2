package pipeline

import (
	"archive/tar"
	"errors"
	"io"
	"path"
	"slices"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
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
	var c Contents
	cfg, err := image.ConfigFile()
	if err != nil {
		return c, err
	}
	c.User, c.RunsAsRoot = imageUser(cfg.Config.User)
	if err := c.readFilesystem(mutate.Extract(image)); err != nil {
		return c, err
	}
	c.WasteBytes, err = wastedBytes(image)
	return c, err
}

// imageUser names the user and says whether it is root.
func imageUser(user string) (string, bool) {
	if user == "" {
		return "root", true
	}
	name, _, _ := strings.Cut(user, ":")
	return user, name == "0" || name == "root"
}

// readFilesystem walks the flattened filesystem (whiteouts applied).
func (c *Contents) readFilesystem(flat io.ReadCloser) error {
	defer flat.Close()
	dirs := map[string]int64{}
	err := eachTarEntry(flat, func(h *tar.Header, name string) {
		dir, base := path.Split(name)
		dir = strings.TrimSuffix(dir, "/")
		if h.Typeflag == tar.TypeReg || h.Typeflag == tar.TypeSymlink || h.Typeflag == tar.TypeLink {
			c.classify(dir, base, name)
		}
		if h.Typeflag == tar.TypeReg {
			c.FileCount++
			dirs[twoLevels(dir)] += h.Size
			if h.Mode&0o6000 != 0 {
				c.SetuidFiles = append(c.SetuidFiles, "/"+name)
			}
		}
	})
	if err != nil {
		return err
	}
	c.LargestDirs = largest(dirs, largestDirCount)
	for _, list := range []*[]string{&c.Shell, &c.Pip, &c.Compiler, &c.PackageManager, &c.SetuidFiles} {
		if *list == nil {
			*list = []string{}
		}
		sort.Strings(*list)
	}
	return nil
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
func wastedBytes(image v1.Image) (int64, error) {
	layers, err := image.Layers()
	if err != nil {
		return 0, err
	}
	sizes := map[string]int64{} // path -> size of the file as the layers so far leave it
	var waste int64
	for _, layer := range layers {
		content, err := layer.Uncompressed()
		if err != nil {
			return 0, err
		}
		err = eachTarEntry(content, func(h *tar.Header, name string) {
			dir, base := path.Split(name)
			switch {
			case base == ".wh..wh..opq":
				waste += removeBelow(sizes, strings.TrimSuffix(dir, "/"))
			case strings.HasPrefix(base, ".wh."):
				waste += removeBelow(sizes, dir+strings.TrimPrefix(base, ".wh."))
			default:
				waste += sizes[name] // an overwritten file's earlier bytes
				sizes[name] = 0
				if h.Typeflag == tar.TypeReg {
					sizes[name] = h.Size
				}
			}
		})
		content.Close()
		if err != nil {
			return 0, err
		}
	}
	return waste, nil
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
