package report

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/multistage/multistage/pipeline/recipe"
)

// Budgets are limits a run must keep, in the spirit of dive's CI mode. A broken
// budget fails the run and says which, by how much.
type Budgets struct {
	// MaxSize limits a variant's uncompressed size, in bytes.
	MaxSize map[string]int64
	// MinReduction is the least multi-stage must save against single-stage, in percent.
	MinReduction float64
	// MaxWaste limits any image's wasted bytes (see Contents.WasteBytes); negative: none.
	MaxWaste int64
}

// BudgetResult is one budget as the report records it.
type BudgetResult struct {
	Budget string `json:"budget"` // e.g. "max-size multi-stage=150.0 MB"
	Actual string `json:"actual"`
	Passed bool   `json:"passed"`
	// Excess says by how much a broken budget is broken ("" when kept).
	Excess string `json:"excess,omitempty"`
	// Variant and SizeLimitBytes are the SIZE the budget allows one variant at most
	// (max-size; min-reduction, from single-stage's SIZE), for the charts' budget
	// lines; absent for waste budgets and for a reduction that could not be measured.
	Variant        string `json:"variant,omitempty"`
	SizeLimitBytes int64  `json:"sizeLimitBytes,omitempty"`
}

var sizePattern = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*(B|kB|KB|MB|GB|KiB|MiB|GiB)?$`)

var sizeUnits = map[string]float64{"": 1, "B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}

// ParseSize reads "150MB", "35 MB", "1.5GiB" or a byte count.
func ParseSize(s string) (int64, error) {
	m := sizePattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("size %q is not valid: use a number and a unit, for example 150MB", s)
	}
	n, _ := strconv.ParseFloat(m[1], 64)
	return int64(n * sizeUnits[m[2]]), nil
}

// ParseBudgets reads the budget flags; empty strings mean no such budget.
func ParseBudgets(maxSizes []string, minReduction, maxWaste string) (Budgets, error) {
	b := Budgets{MaxSize: map[string]int64{}, MaxWaste: -1}
	for _, spec := range maxSizes {
		variant, size, ok := strings.Cut(spec, "=")
		if !ok {
			return b, fmt.Errorf("size budget %q is not valid: use VARIANT=SIZE, for example multi-stage=150MB", spec)
		}
		if _, err := recipe.VariantNamed(variant); err != nil {
			return b, fmt.Errorf("size budget %q: %w", spec, err)
		}
		n, err := ParseSize(size)
		if err != nil {
			return b, fmt.Errorf("size budget %q: %w", spec, err)
		}
		b.MaxSize[variant] = n
	}
	if minReduction != "" {
		p, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(minReduction), "%"), 64)
		if err != nil || p < 0 || p > 100 {
			return b, fmt.Errorf("minimum reduction %q is not valid: use a percentage from 0 to 100, for example 20", minReduction)
		}
		b.MinReduction = p
	}
	if maxWaste != "" {
		n, err := ParseSize(maxWaste)
		if err != nil {
			return b, fmt.Errorf("waste budget: %w", err)
		}
		b.MaxWaste = n
	}
	return b, nil
}

// ApplyBudgets checks the report against b, records each budget, and fails the
// report when one breaks.
func (r *Report) ApplyBudgets(b Budgets) {
	r.Budgets = []BudgetResult{}
	for _, variant := range recipe.VariantNames() {
		limit, ok := b.MaxSize[variant]
		if !ok {
			continue
		}
		size := r.sizeOf(variant)
		r.addLimit(fmt.Sprintf("max-size %s=%s", variant, FormatBytes(limit)), size, limit, size > 0)
		r.Budgets[len(r.Budgets)-1].Variant, r.Budgets[len(r.Budgets)-1].SizeLimitBytes = variant, limit
	}
	if b.MinReduction > 0 {
		r.addReductionBudget(b.MinReduction)
	}
	if b.MaxWaste >= 0 {
		for _, image := range r.Images {
			if image.Contents != nil {
				r.addLimit(fmt.Sprintf("max-waste %s=%s", image.Variant, FormatBytes(b.MaxWaste)), image.Contents.WasteBytes, b.MaxWaste, true)
			}
		}
	}
	for _, result := range r.Budgets {
		if !result.Passed {
			r.OK = false
		}
	}
}

func (r *Report) sizeOf(variant string) int64 {
	for _, image := range r.Images {
		if image.Variant == variant {
			return image.Sizes.UncompressedBytes
		}
	}
	return 0
}

// addLimit records an upper limit: a measured actual must not exceed limit.
func (r *Report) addLimit(name string, actual, limit int64, measured bool) {
	result := BudgetResult{Budget: name, Actual: FormatBytes(actual), Passed: measured && actual <= limit}
	switch {
	case !measured:
		result.Actual, result.Excess = "not measured", "not measured"
	case actual > limit:
		result.Excess = "over by " + FormatBytes(actual-limit)
	}
	r.Budgets = append(r.Budgets, result)
}

// addReductionBudget records how much multi-stage saves against single-stage.
func (r *Report) addReductionBudget(minimum float64) {
	name := fmt.Sprintf("min-reduction multi-stage vs single-stage=%g%%", minimum)
	single, multi := r.sizeOf(recipe.VariantSingleStage), r.sizeOf(recipe.VariantMultiStage)
	if single == 0 || multi == 0 {
		r.Budgets = append(r.Budgets, BudgetResult{Budget: name, Actual: "not measured", Excess: "not measured"})
		return
	}
	reduction := 100 * float64(single-multi) / float64(single)
	result := BudgetResult{Budget: name, Actual: fmt.Sprintf("%.1f%%", reduction), Passed: reduction >= minimum,
		Variant: recipe.VariantMultiStage, SizeLimitBytes: int64(float64(single) * (1 - minimum/100))}
	if !result.Passed {
		result.Excess = fmt.Sprintf("short by %.1f points", minimum-reduction)
	}
	r.Budgets = append(r.Budgets, result)
}

// BrokenBudgets lists the broken budgets, one line each.
func (r *Report) BrokenBudgets() []string {
	var broken []string
	for _, b := range r.Budgets {
		if !b.Passed {
			broken = append(broken, fmt.Sprintf("%s: %s (%s)", b.Budget, b.Excess, b.Actual))
		}
	}
	return broken
}
