package report

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	"github.com/multistage/multistage/pipeline/measure"
)

// The parts' colors in every chart, from the bottom of a bar up. Each is the color
// of an emoji square (partSquares), so that a Markdown legend can show it: Mermaid's
// xychart draws no legend of its own.
var (
	partColors  = [measure.PartCount]string{"#c1694f", "#55acee", "#aa8ed6", "#fdcb58", "#78b159"}
	partSquares = [measure.PartCount]string{"🟫", "🟦", "🟪", "🟨", "🟩"}
	// Budget lines take these in turn.
	budgetColors  = []string{"#dd2e44", "#f4900c", "#31373d"}
	budgetSquares = []string{"🟥", "🟧", "⬛"}
)

// hasParts says whether any image's SIZE was split into parts.
func (r *Report) hasParts() bool {
	for _, image := range r.Images {
		if image.Sizes.Parts.Total() > 0 {
			return true
		}
	}
	return false
}

// sizeLimits are the budgets that limit the SIZE of a variant of this report.
func (r *Report) sizeLimits() []BudgetResult {
	var limits []BudgetResult
	for _, b := range r.Budgets {
		if b.SizeLimitBytes > 0 && r.sizeOf(b.Variant) > 0 {
			limits = append(limits, b)
		}
	}
	return limits
}

// MermaidChart is the report's sizes as a Mermaid xychart (GitHub renders it in Markdown
// and job summaries): a bar per variant, its parts stacked, and a line per budget
// that limits a SIZE. The xychart has no stacked bars: bars of one category are drawn
// over each other, so each series is a running total, the whole image first and the
// base alone last, and each shows above the next as its part. "" without parts.
func (r *Report) MermaidChart() string {
	if !r.hasParts() {
		return ""
	}
	limits := r.sizeLimits()
	var palette, names []string
	for i := len(measure.AllParts) - 1; i >= 0; i-- {
		palette = append(palette, partColors[measure.AllParts[i]])
	}
	for i := range limits {
		palette = append(palette, budgetColors[i%len(budgetColors)])
	}
	top := 0.0
	for _, image := range r.Images {
		names = append(names, fmt.Sprintf("%q", image.Variant))
		top = math.Max(top, megabytes(image.Sizes.Parts.Total()))
	}
	for _, b := range limits {
		top = math.Max(top, megabytes(b.SizeLimitBytes))
	}
	var buf bytes.Buffer
	buf.WriteString("---\nconfig:\n  themeVariables:\n    xyChart:\n")
	fmt.Fprintf(&buf, "      plotColorPalette: %q\n---\n", strings.Join(palette, ", "))
	buf.WriteString("xychart-beta\n")
	buf.WriteString("  title \"Where the bytes are (MB unpacked)\"\n")
	fmt.Fprintf(&buf, "  x-axis [%s]\n", strings.Join(names, ", "))
	fmt.Fprintf(&buf, "  y-axis \"MB\" 0 --> %g\n", math.Ceil(top*1.1/10)*10)
	buf.WriteString("  %% Each bar is drawn over the one before: running totals, so the parts stack.\n")
	for i := len(measure.AllParts) - 1; i >= 0; i-- {
		label := "base"
		if i > 0 {
			label = "base up to " + measure.AllParts[i].String()
		}
		if i == len(measure.AllParts)-1 {
			label += ": the whole image"
		}
		values := make([]string, len(r.Images))
		for j, image := range r.Images {
			var sum int64
			for _, p := range measure.AllParts[:i+1] {
				sum += image.Sizes.Parts.Of(p)
			}
			values[j] = fmt.Sprintf("%.2f", megabytes(sum))
		}
		fmt.Fprintf(&buf, "  %%%% %s\n  bar [%s]\n", label, strings.Join(values, ", "))
	}
	for _, b := range limits {
		values := make([]string, len(r.Images))
		for j := range values {
			values[j] = fmt.Sprintf("%.2f", megabytes(b.SizeLimitBytes))
		}
		fmt.Fprintf(&buf, "  %%%% budget: %s\n  line [%s]\n", b.Budget, strings.Join(values, ", "))
	}
	return buf.String()
}

// chartLegend says which color is which, in emoji squares of the same colors.
func (r *Report) chartLegend() string {
	var items []string
	for _, p := range measure.AllParts {
		items = append(items, partSquares[p]+" "+p.String())
	}
	for i, b := range r.sizeLimits() {
		item := budgetSquares[i%len(budgetSquares)] + " budget line: " + b.Budget
		if !strings.HasPrefix(b.Budget, "max-size ") {
			item += " (" + b.Variant + " at most " + FormatBytes(b.SizeLimitBytes) + ")"
		}
		items = append(items, item)
	}
	return strings.Join(items, " · ")
}

// markdownParts is the chart's figures as a table, for renderers without Mermaid.
func (r *Report) markdownParts(buf *bytes.Buffer) {
	buf.WriteString("| Variant | Size |")
	for _, p := range measure.AllParts {
		buf.WriteString(" " + partSquares[p] + " " + capitalize(p.String()) + " |")
	}
	buf.WriteString("\n|---|---:|" + strings.Repeat("---:|", len(measure.AllParts)) + "\n")
	for _, image := range r.Images {
		fmt.Fprintf(buf, "| %s | %s |", image.Variant, sizeText(image.Sizes.UncompressedBytes, image))
		for _, p := range measure.AllParts {
			fmt.Fprintf(buf, " %s |", partText(image, p))
		}
		buf.WriteString("\n")
	}
}

// partText is one part of an image's SIZE, "-" when it was not split.
func partText(image ImageReport, p measure.Part) string {
	if image.Sizes.Parts.Total() == 0 {
		return "-"
	}
	return FormatBytes(image.Sizes.Parts.Of(p))
}

func megabytes(n int64) float64 { return float64(n) / 1e6 }

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
