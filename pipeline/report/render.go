package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/multistage/multistage/pipeline/check"
	"github.com/multistage/multistage/pipeline/failure"
	"github.com/multistage/multistage/pipeline/measure"
)

// Report formats, as --format spells them.
const (
	FormatTable    = "table"
	FormatJSON     = "json"
	FormatMarkdown = "markdown"
	FormatHTML     = "html"
)

// Formats lists the report formats.
var Formats = []string{FormatTable, FormatJSON, FormatMarkdown, FormatHTML}

// Render writes the report in one of Formats.
func (r *Report) Render(format string) (string, error) {
	switch format {
	case FormatTable, "":
		return r.Table(), nil
	case FormatJSON:
		return r.JSON()
	case FormatMarkdown:
		return r.Markdown(), nil
	case FormatHTML:
		return r.HTML()
	}
	return "", fmt.Errorf("unknown report format %q: use one of %s", format, strings.Join(Formats, ", "))
}

// JSON is the report as indented JSON; field names are stable (see README).
func (r *Report) JSON() (string, error) {
	out, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	return string(out) + "\n", nil
}

// Table is the report as aligned text columns, then one line of detail per image.
func (r *Report) Table() string {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "multistage report: Python %s, port %d, check %s\n\n", r.PythonVersion, r.Port, r.Probe.Describe())
	if lines := r.projectLines(); len(lines) > 0 {
		fmt.Fprintf(&buf, "%s\n\n", strings.Join(lines, "\n"))
	}
	w := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "VARIANT\tCHECK\tREADY\tSIZE\tDOCKER SHOWS\tCOMPRESSED\tLAYERS\tVS SINGLE-STAGE\tSECRETS")
	for _, image := range r.Images {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", image.Variant, checkWord(image), readyText(image.Check),
			sizeText(image.Sizes.UncompressedBytes, image), sizeText(image.Sizes.DockerBytes, image), sizeText(image.Sizes.CompressedBytes, image),
			len(image.Layers), versusText(image.VersusSingleStage), secretsWord(image.Secrets))
	}
	w.Flush()
	buf.WriteString("\n")
	if r.hasParts() {
		w = tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "PARTS\tBASE\tDEPENDENCIES\tNATIVE LIBRARIES\tBYTECODE\tAPP")
		for _, image := range r.Images {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", image.Variant, partText(image, measure.PartBase), partText(image, measure.PartDependencies),
				partText(image, measure.PartNativeLibraries), partText(image, measure.PartBytecode), partText(image, measure.PartApp))
		}
		w.Flush()
		buf.WriteString("\n")
	}
	w = tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "CONTENTS\tUSER\tSHELL\tPIP\tCOMPILER\tPKG MANAGER\tSETUID\tFILES\tWASTE")
	for _, image := range r.Images {
		if c := image.Contents; c != nil {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", image.Variant, c.User, yesNo(c.Shell), yesNo(c.Pip),
				yesNo(c.Compiler), yesNo(c.PackageManager), len(c.SetuidFiles), c.FileCount, FormatBytes(c.WasteBytes))
		}
	}
	w.Flush()
	buf.WriteString("\n")
	for _, image := range r.Images {
		fmt.Fprintf(&buf, "%s: %s\n", image.Variant, image.Description)
		for _, line := range detailLines(image) {
			fmt.Fprintf(&buf, "    %s\n", line)
		}
	}
	for _, base := range r.Bases {
		fmt.Fprintf(&buf, "%s base: %s%s\n", base.Role, base.Ref, fallbackNote(base))
	}
	if len(r.Budgets) > 0 {
		buf.WriteString("\n")
		w = tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "BUDGET\tACTUAL\tRESULT")
		for _, b := range r.Budgets {
			fmt.Fprintf(w, "%s\t%s\t%s\n", b.Budget, b.Actual, budgetWord(b))
		}
		w.Flush()
	}
	fmt.Fprintf(&buf, "\n%s\n", verdictText(r))
	return buf.String()
}

// Markdown is the report as a Markdown table for a CI job summary or a review note.
func (r *Report) Markdown() string {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "## multistage report\n\nPython %s, port %d, check %s.\n\n", r.PythonVersion, r.Port, markdownEscape(r.Probe.Describe()))
	if lines := r.projectLines(); len(lines) > 0 {
		for _, line := range lines {
			fmt.Fprintf(&buf, "- %s\n", markdownEscape(line))
		}
		buf.WriteString("\n")
	}
	if chart := r.MermaidChart(); chart != "" {
		fmt.Fprintf(&buf, "```mermaid\n%s```\n\n%s\n\n", chart, r.chartLegend())
		r.markdownParts(&buf)
		buf.WriteString("\n")
	}
	buf.WriteString("| Variant | Check | Ready | Size | Docker shows | Compressed | Layers | vs single-stage | Secrets |\n")
	buf.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---|\n")
	for _, image := range r.Images {
		fmt.Fprintf(&buf, "| %s | %s | %s | %s | %s | %s | %d | %s | %s |\n", image.Variant, checkWord(image), readyText(image.Check),
			sizeText(image.Sizes.UncompressedBytes, image), sizeText(image.Sizes.DockerBytes, image), sizeText(image.Sizes.CompressedBytes, image),
			len(image.Layers), versusText(image.VersusSingleStage), secretsWord(image.Secrets))
	}
	buf.WriteString("\n| Contents | User | Shell | pip | Compiler | Package manager | Setuid files | Files | Waste |\n")
	buf.WriteString("|---|---|---|---|---|---|---:|---:|---:|\n")
	for _, image := range r.Images {
		if c := image.Contents; c != nil {
			fmt.Fprintf(&buf, "| %s | %s | %s | %s | %s | %s | %d | %d | %s |\n", image.Variant, c.User, yesNo(c.Shell), yesNo(c.Pip),
				yesNo(c.Compiler), yesNo(c.PackageManager), len(c.SetuidFiles), c.FileCount, FormatBytes(c.WasteBytes))
		}
	}
	buf.WriteString("\n")
	for _, image := range r.Images {
		fmt.Fprintf(&buf, "- **%s**: %s\n", image.Variant, image.Description)
		for _, line := range detailLines(image) {
			fmt.Fprintf(&buf, "  - %s\n", markdownEscape(line))
		}
	}
	if len(r.Budgets) > 0 {
		buf.WriteString("\n| Budget | Actual | Result |\n|---|---:|---|\n")
		for _, b := range r.Budgets {
			fmt.Fprintf(&buf, "| %s | %s | %s |\n", b.Budget, b.Actual, budgetWord(b))
		}
	}
	buf.WriteString("\n")
	for _, base := range r.Bases {
		fmt.Fprintf(&buf, "%s base: `%s`%s  \n", base.Role, base.Ref, fallbackNote(base))
	}
	fmt.Fprintf(&buf, "\n**%s**\n", verdictText(r))
	return buf.String()
}

func checkWord(image ImageReport) string {
	switch {
	case image.Check.Passed && image.ExpectedToPass:
		return "pass"
	case image.Check.Passed:
		return "pass (expected FAIL)"
	case image.ExpectedToPass:
		return "FAIL"
	default:
		return "FAIL (expected)"
	}
}

func yesNo(found []string) string {
	if len(found) == 0 {
		return "no"
	}
	return "yes"
}

func readyText(check check.Result) string {
	if !check.Passed {
		return "-"
	}
	return fmt.Sprintf("%.2fs", check.ReadySeconds)
}

func sizeText(bytes int64, image ImageReport) string {
	if image.Error != "" && bytes == 0 {
		return "-"
	}
	return FormatBytes(bytes)
}

func versusText(c *Comparison) string {
	if c == nil {
		return "-"
	}
	return fmt.Sprintf("%s (%.2fx)", FormatDelta(c.DeltaBytes), c.Ratio)
}

// detailLines explains an image: its layers, and why its check failed.
func detailLines(image ImageReport) []string {
	var lines []string
	if image.Error != "" {
		lines = append(lines, "error: "+failure.FirstLine(image.Error))
	}
	if len(image.Layers) > 0 {
		parts := make([]string, len(image.Layers))
		for i, layer := range image.Layers {
			parts[i] = FormatBytes(layer.UncompressedBytes)
		}
		lines = append(lines, "layers (unpacked): "+strings.Join(parts, " + "))
	}
	if c := image.Contents; c != nil && len(c.LargestDirs) > 0 {
		parts := make([]string, len(c.LargestDirs))
		for i, d := range c.LargestDirs {
			parts[i] = d.Path + " " + FormatBytes(d.Bytes)
		}
		lines = append(lines, "largest: "+strings.Join(parts, ", "))
	}
	if len(image.NativeLibraries) > 0 {
		parts := make([]string, len(image.NativeLibraries))
		for i, lib := range image.NativeLibraries {
			parts[i] = lib.Soname + " (" + strings.TrimSpace(lib.Package+" "+lib.Version) + ", " + FormatBytes(lib.Bytes) + ")"
			if lib.Package == "" {
				parts[i] = lib.Soname + " (" + lib.Path + ", " + FormatBytes(lib.Bytes) + ")"
			}
		}
		lines = append(lines, "native libraries carried: "+strings.Join(parts, ", "))
	}
	lines = append(lines, secretLines(image.Secrets)...)
	if r := image.Reproducible; r != nil {
		lines = append(lines, "reproducible: "+reproducibleText(*r))
	}
	if image.Check.Passed {
		// What answered the probe: its status and the first bytes of its body.
		lines = append(lines, fmt.Sprintf("answered: %d %q", image.Check.Status, failure.Truncate(strings.TrimSpace(image.Check.Body), 60)))
	}
	if image.Check.Passed && image.Check.Server != "" {
		lines = append(lines, "served by: "+image.Check.Server)
	}
	if !image.Check.Passed {
		lines = append(lines, "check: "+image.Check.Error)
		if why := keyLogLine(image.Check.Logs); why != "" {
			lines = append(lines, "why: "+why)
		}
	}
	return lines
}

// keyLogLine picks the line of a log that says what went wrong: the last
// Error/Exception line of a traceback, else the last line.
func keyLogLine(logs []string) string {
	for i := len(logs) - 1; i >= 0; i-- {
		line := strings.TrimSpace(logs[i])
		if strings.Contains(line, "Error") || strings.Contains(line, "Exception") {
			return line
		}
	}
	for i := len(logs) - 1; i >= 0; i-- {
		if line := strings.TrimSpace(logs[i]); line != "" {
			return line
		}
	}
	return ""
}

func budgetWord(b BudgetResult) string {
	if b.Passed {
		return "kept"
	}
	return "BROKEN: " + b.Excess
}

// Verdict is the report's last line: OK, or what failed.
func (r *Report) Verdict() string { return verdictText(r) }

// verdictText says what passed or failed, and which bases a registry outage made the
// run build from a digest resolved before.
func verdictText(r *Report) string { return withOutageClause(r, verdictWithoutOutage(r)) }

func verdictWithoutOutage(r *Report) string {
	if r.OK {
		held := []string{"every check expected to pass passed"}
		if len(r.Budgets) > 0 {
			held = append(held, "every budget held")
		}
		if clause := secretsClause(r); clause != "" {
			held = append(held, clause)
		}
		if len(held) == 1 {
			return "OK: " + held[0] + "."
		}
		return "OK: " + strings.Join(held[:len(held)-1], ", ") + ", and " + held[len(held)-1] + "."
	}
	var problems []string
	if failed := r.Failures(); len(failed) > 0 {
		problems = append(problems, strings.Join(failed, ", ")+" did not pass its check")
	}
	problems = append(problems, r.SecretProblems()...)
	problems = append(problems, r.BrokenBudgets()...)
	return "FAILED: " + strings.Join(problems, "; ") + "."
}

func markdownEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s)
}

// FormatBytes prints a size in decimal units, as docker and podman do (1 MB = 1,000,000 bytes).
func FormatBytes(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	default:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	}
}

// FormatDelta prints a signed size difference.
func FormatDelta(n int64) string {
	if n < 0 {
		return "-" + FormatBytes(-n)
	}
	return "+" + FormatBytes(n)
}
