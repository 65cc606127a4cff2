// Package schemas validates what multistage writes against the schemas it promises,
// for tests: the report against pipeline/report/report.schema.json, an SBOM against
// CycloneDX 1.6 (vendored in cyclonedx/). The fronts write both from Go types, so
// their builds need no schema library.
package schemas

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// here is this package's directory, whatever the test's working directory.
func here() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// Report checks a JSON report against pipeline/report/report.schema.json.
func Report(doc []byte) error {
	path := filepath.Join(here(), "..", "..", "pipeline", "report", "report.schema.json")
	return validate(doc, map[string]string{"report.schema.json": path}, "report.schema.json")
}

// CycloneDX checks an SBOM against the CycloneDX 1.6 JSON schema.
func CycloneDX(doc []byte) error {
	resources := map[string]string{}
	for _, name := range []string{"bom-1.6.SNAPSHOT.schema.json", "spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json"} {
		resources["http://cyclonedx.org/schema/"+name] = filepath.Join(here(), "cyclonedx", name)
	}
	if err := validate(doc, resources, "http://cyclonedx.org/schema/bom-1.6.SNAPSHOT.schema.json"); err != nil {
		return fmt.Errorf("not valid CycloneDX 1.6: %w", err)
	}
	return nil
}

// validate compiles the schema root from resources (URL → file) and checks doc.
func validate(doc []byte, resources map[string]string, root string) error {
	compiler := jsonschema.NewCompiler()
	for url, path := range resources {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("reading the schema: %w", err)
		}
		schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("reading the schema %s: %w", path, err)
		}
		if err := compiler.AddResource(url, schemaDoc); err != nil {
			return err
		}
	}
	schema, err := compiler.Compile(root)
	if err != nil {
		return fmt.Errorf("compiling the schema: %w", err)
	}
	instance, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("reading the document: %w", err)
	}
	return schema.Validate(instance)
}
