package measure

import (
	"archive/tar"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

type entry struct {
	name string
	size int
	mode int64
	link string
}

// layer builds a real image layer (a tar stream) from entries.
func layer(t *testing.T, entries ...entry) v1.Layer {
	t.Helper()
	headers := make([]tar.Header, len(entries))
	for i, e := range entries {
		headers[i] = tar.Header{Name: e.name, Mode: e.mode, Size: int64(e.size), Typeflag: tar.TypeReg}
		if e.link != "" {
			headers[i].Typeflag, headers[i].Linkname, headers[i].Size = tar.TypeSymlink, e.link, 0
		}
	}
	return tarLayer(t, headers...)
}

func image(t *testing.T, user string, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := img.ConfigFile()
	cfg = cfg.DeepCopy()
	cfg.Config.User = user
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestInspectFindsToolsSetuidAndWaste(t *testing.T) {
	base := layer(t,
		entry{name: "bin/dash", size: 100}, entry{name: "bin/sh", link: "dash"},
		entry{name: "usr/bin/pip3", size: 10}, entry{name: "usr/local/lib/python3.13/site-packages/pip/__init__.py", size: 10},
		entry{name: "usr/bin/gcc-14", size: 50}, entry{name: "usr/bin/dpkg", size: 40},
		entry{name: "usr/bin/passwd", size: 60, mode: 0o4755},
		entry{name: "usr/lib/big", size: 1000}, entry{name: "etc/removed", size: 500}, entry{name: "opt/dir/a", size: 300},
	)
	top := layer(t,
		entry{name: "etc/.wh.removed"},       // deletes 500 bytes
		entry{name: "usr/lib/big", size: 10}, // overwrites 1000 bytes
		entry{name: "opt/dir/.wh..wh..opq"},  // hides 300 bytes
		entry{name: "opt/dir/b", size: 7},
	)
	c, err := InspectImage(image(t, "", base, top))
	if err != nil {
		t.Fatal(err)
	}
	if c.User != "root" || !c.RunsAsRoot {
		t.Errorf("user: %q root=%v", c.User, c.RunsAsRoot)
	}
	if len(c.Shell) != 2 || len(c.Pip) != 2 || len(c.Compiler) != 1 || len(c.PackageManager) != 1 {
		t.Errorf("tools: shell %v pip %v compiler %v pkg %v", c.Shell, c.Pip, c.Compiler, c.PackageManager)
	}
	if len(c.SetuidFiles) != 1 || c.SetuidFiles[0] != "/usr/bin/passwd" {
		t.Errorf("setuid: %v", c.SetuidFiles)
	}
	if c.WasteBytes != 1800 {
		t.Errorf("waste %d, want 1800 (500 deleted + 1000 overwritten + 300 hidden)", c.WasteBytes)
	}
	// Final files: dash, pip3, pip/__init__.py, gcc-14, dpkg, passwd, big, b (the symlink is no regular file).
	if c.FileCount != 8 {
		t.Errorf("file count %d", c.FileCount)
	}
	if len(c.LargestDirs) == 0 || c.LargestDirs[0] != (DirSize{Path: "/usr/bin", Bytes: 160}) {
		t.Errorf("largest dirs: %+v", c.LargestDirs)
	}
}

func TestInspectMinimalImage(t *testing.T) {
	c, err := InspectImage(image(t, "10001:10001", layer(t, entry{name: "usr/bin/python3.13", size: 10}, entry{name: "opt/venv/bin/python", link: "/usr/bin/python3.13"})))
	if err != nil {
		t.Fatal(err)
	}
	if c.RunsAsRoot || c.User != "10001:10001" || len(c.Shell)+len(c.Pip)+len(c.Compiler)+len(c.PackageManager)+len(c.SetuidFiles) != 0 || c.WasteBytes != 0 {
		t.Errorf("minimal contents wrong: %+v", c)
	}
}

func TestImageUser(t *testing.T) {
	for user, root := range map[string]bool{"": true, "0": true, "root": true, "0:0": true, "root:app": true, "app": false, "10001:10001": false} {
		if _, got := imageUser(user); got != root {
			t.Errorf("imageUser(%q) root=%v, want %v", user, got, root)
		}
	}
}
