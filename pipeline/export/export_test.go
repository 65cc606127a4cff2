package export

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multistage/multistage/internal/atomicfile"
	"github.com/multistage/multistage/pipeline/report"
)

func TestExportRefusesAnUnwritableDirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := WriteExport(context.Background(), &report.Report{SchemaVersion: report.SchemaVersion}, nil, filepath.Join(file, "out"), false)
	if err == nil || !strings.Contains(err.Error(), "cannot be created") {
		t.Fatalf("got %v", err)
	}
}

func TestExportRefusesToOverwriteWithoutForce(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "report.json")
	if err := os.WriteFile(old, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := WriteExport(context.Background(), &report.Report{SchemaVersion: report.SchemaVersion}, nil, dir, false)
	if err == nil || err.Error() != "export directory "+dir+" already holds report.json: remove it or pass --force" {
		t.Fatalf("got %v", err)
	}
	if data, _ := os.ReadFile(old); string(data) != "keep me" {
		t.Fatal("refused export still touched the file")
	}
	if _, err := os.Stat(filepath.Join(dir, "report.md")); err == nil {
		t.Fatal("refused export wrote other files")
	}

	written, err := WriteExport(context.Background(), &report.Report{SchemaVersion: report.SchemaVersion}, nil, dir, true)
	if err != nil || len(written) != len(report.Formats) || !strings.HasSuffix(written[3], "report.html") {
		t.Fatalf("forced export: %v %v", written, err)
	}
	if data, _ := os.ReadFile(old); !strings.Contains(string(data), fmt.Sprintf(`"schemaVersion": %d`, report.SchemaVersion)) {
		t.Fatalf("report.json not replaced: %s", data)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*")); len(leftovers) > 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
}

func TestWriteAtomicallyLeavesNothingOnFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.tar")
	err := atomicfile.Write(path, func(tmp string) error {
		os.WriteFile(tmp, []byte("half"), 0o644)
		return context.Canceled
	})
	if err == nil {
		t.Fatal("failure not reported")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
}
