package pipeline

import (
	"bytes"
	_ "embed"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ReportSchema is the JSON schema of the JSON report (report.schema.json).
//
//go:embed report.schema.json
var ReportSchema []byte

// ValidateReportJSON checks a JSON report against ReportSchema.
func ValidateReportJSON(report []byte) error {
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(ReportSchema))
	if err != nil {
		return fmt.Errorf("reading the report schema: %w", err)
	}
	compiler := jsonschema.NewCompiler()
	if err := compiler.AddResource("report.schema.json", schemaDoc); err != nil {
		return err
	}
	schema, err := compiler.Compile("report.schema.json")
	if err != nil {
		return fmt.Errorf("compiling the report schema: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(report))
	if err != nil {
		return fmt.Errorf("reading the report: %w", err)
	}
	return schema.Validate(doc)
}
