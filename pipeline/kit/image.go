package kit

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// officialConfig mirrors what the official python images set.
func officialConfig(cfg *v1.ConfigFile) {
	cfg.OS = "linux"
	cfg.Architecture = "amd64"
	cfg.Config.Env = []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"LANG=C.UTF-8",
	}
	cfg.Config.Cmd = []string{"python3"}
}

// WriteBaseImage packs a root filesystem tarball as a one-layer image and writes it
// as an OCI image tarball at out, its ref.name annotation set to tag. The OCI layout
// is kept beside the root in the cache, for pushing.
func WriteBaseImage(rootfs, out, tag string) error {
	layoutDir := strings.TrimSuffix(rootfs, ".tar") + ".oci"
	if _, err := os.Stat(filepath.Join(layoutDir, "index.json")); err != nil {
		if err := writeLayout(rootfs, layoutDir, tag); err != nil {
			return err
		}
	}
	stamp := out + ".from"
	if from, err := os.ReadFile(stamp); err == nil && string(from) == layoutDir {
		if _, err := os.Stat(out); err == nil {
			return nil
		}
	}
	tmp := out + ".partial"
	if err := tarDirectory(layoutDir, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", out, err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	return os.WriteFile(stamp, []byte(layoutDir), 0o644)
}

func writeLayout(rootfs, dir, tag string) error {
	layer, err := tarball.LayerFromFile(rootfs)
	if err != nil {
		return fmt.Errorf("reading root %s: %w", rootfs, err)
	}
	image, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return err
	}
	cfg, err := image.ConfigFile()
	if err != nil {
		return err
	}
	cfg = cfg.DeepCopy()
	officialConfig(cfg)
	if image, err = mutate.ConfigFile(image, cfg); err != nil {
		return err
	}
	tmp := dir + ".partial"
	os.RemoveAll(tmp)
	path, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return err
	}
	if err := path.AppendImage(image, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": tag})); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("writing the image of %s: %w", rootfs, err)
	}
	return os.Rename(tmp, dir)
}

// tarDirectory writes the files below dir into a tar archive at out, paths relative to dir.
func tarDirectory(dir, out string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		header, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		header.Name = filepath.ToSlash(rel)
		if d.IsDir() {
			header.Name += "/"
		}
		if err := tw.WriteHeader(header); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(tw, src)
		return err
	})
	if err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return f.Close()
}

// PushBaseImage pushes the image written for out to registry (HOST:PORT, plain HTTP)
// under repoTag, and returns the full reference.
func PushBaseImage(ctx context.Context, out, registry, repoTag string) (string, error) {
	from, err := os.ReadFile(out + ".from")
	if err != nil {
		return "", fmt.Errorf("%s has no layout beside it: run the kit again", out)
	}
	index, err := layout.ImageIndexFromPath(string(from))
	if err != nil {
		return "", err
	}
	manifest, err := index.IndexManifest()
	if err != nil || len(manifest.Manifests) != 1 {
		return "", fmt.Errorf("%s: expected one image in the layout", out)
	}
	image, err := index.Image(manifest.Manifests[0].Digest)
	if err != nil {
		return "", err
	}
	ref, err := name.ParseReference(registry+"/"+repoTag, name.Insecure)
	if err != nil {
		return "", fmt.Errorf("registry %q: %w: use HOST:PORT", registry, err)
	}
	if err := remote.Write(ref, image, remote.WithContext(ctx)); err != nil {
		return "", fmt.Errorf("pushing to %s: %w (is the registry running?)", ref, err)
	}
	return ref.String(), nil
}
