// Package atomicfile writes a file so that a reader never sees half of it: into a
// temporary file beside it, renamed into place (nothing half-written on failure).
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// Write has write fill a temporary file beside path, then renames it into place.
func Write(path string, write func(tmp string) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return fmt.Errorf("export directory %s is not writable: %w", filepath.Dir(path), err)
	}
	tmp.Close()
	if err := write(tmp.Name()); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
