package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"strconv"
	"strings"

	"github.com/multistage/multistage/pipeline/failure"
	"github.com/multistage/multistage/pipeline/measure"
	"github.com/multistage/multistage/pipeline/recipe"
)

// reportPage is the HTML report's template: one self-contained file, its style
// inline and its charts inline SVG, with no script and nothing fetched.
//
//go:embed report.html.tmpl
var reportPage string

var reportTemplate = template.Must(template.New("report.html").Funcs(template.FuncMap{
	"px": func(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) },
}).Parse(reportPage))

// The geometry of the HTML report's bars, in CSS pixels: every bar is drawn on one
// scale, barTrack wide for the largest image (or budget), so bars compare at a glance.
const (
	barTrack  = 720.0
	barWidth  = 880.0 // the track, and room for the size after the bar's end
	barHeight = 28.0
	barLine   = 14.0 // room above the bar for each budget's label
	// A part gets its name and size written on it when it is at least this wide.
	barLabelMin = 110.0
)

// HTML is the report as one self-contained page (report.html): the verdict, then
// per variant a bar of where its bytes are, its check, its contents and its largest
// directories; hovering a part, or the table under the bar, gives exact bytes.
func (r *Report) HTML() (string, error) {
	var buf bytes.Buffer
	if err := reportTemplate.Execute(&buf, r.htmlPage()); err != nil {
		return "", fmt.Errorf("rendering the HTML report: %w", err)
	}
	return buf.String(), nil
}

type htmlPage struct {
	OK      bool
	Verdict string
	Summary string
	Project []string
	Legend  []htmlSwatch
	Scale   string
	Images  []htmlImage
	Budgets []htmlBudget
	Bases   []recipe.BaseImage
	Width   float64
	Track   float64
}

type htmlSwatch struct{ Name, Color string }

type htmlImage struct {
	Variant, Description string
	Badge, BadgeClass    string
	Ready, Server        string
	CheckError, Why      string
	Size, Docker         string
	Compressed, Versus   string
	Layers               int
	Error                string
	Bar                  *htmlBar
	Parts                []htmlPartRow
	Flags                []htmlFlag
	Largest              []htmlDir
	Native               []string
	Reproducible         string
}

type htmlBar struct {
	Variant  string
	Segments []htmlSegment
	// End is where the bar ends; its size is written at LabelX, past a budget's line there.
	End, LabelX float64
	Label       string
	Budgets     []htmlMarker
	// Top is where the bar starts (below the budgets' labels), Height the whole drawing's.
	Top, Height float64
}

type htmlSegment struct {
	Part         string
	X, Width     float64
	Color        string
	Bytes        int64
	Title, Label string
}

type htmlMarker struct {
	// X is the budget's place on the scale; its label's baseline is at Y and its line
	// runs from just under the label (From) through the bar (To).
	X, Y, From, To float64
	Label          string
	Broken, Left   bool
}

type htmlPartRow struct{ Name, Color, Size, Bytes, Share string }

type htmlFlag struct {
	Name, Value string
	Warn        bool
}

type htmlDir struct {
	Path, Size string
	Width      float64 // percent of the image's largest directory
}

type htmlBudget struct {
	Budget, Actual, Result string
	Passed                 bool
}

func (r *Report) htmlPage() htmlPage {
	page := htmlPage{OK: r.OK, Verdict: verdictText(r), Project: r.projectLines(), Width: barWidth, Track: barTrack, Bases: r.Bases,
		Summary: fmt.Sprintf("Python %s, port %d, check %s", r.PythonVersion, r.Port, r.Probe.Describe())}
	for _, p := range measure.AllParts {
		page.Legend = append(page.Legend, htmlSwatch{Name: p.String(), Color: partColors[p]})
	}
	// One scale for every bar: the largest image, or a budget above it.
	var full int64
	for _, image := range r.Images {
		full = max(full, image.Sizes.Parts.Total())
	}
	limits := r.sizeLimits()
	for _, b := range limits {
		full = max(full, b.SizeLimitBytes)
	}
	if full > 0 {
		page.Scale = "The bars share one scale: the full width is " + FormatBytes(full) + " unpacked."
	}
	for _, image := range r.Images {
		page.Images = append(page.Images, htmlImageOf(image, full, limits))
	}
	for _, b := range r.Budgets {
		page.Budgets = append(page.Budgets, htmlBudget{Budget: b.Budget, Actual: b.Actual, Result: budgetWord(b), Passed: b.Passed})
	}
	return page
}

func htmlImageOf(image ImageReport, full int64, limits []BudgetResult) htmlImage {
	v := htmlImage{Variant: image.Variant, Description: image.Description, Badge: checkWord(image), Ready: readyText(image.Check),
		Server: image.Check.Server, Size: sizeText(image.Sizes.UncompressedBytes, image), Docker: sizeText(image.Sizes.DockerBytes, image),
		Compressed: sizeText(image.Sizes.CompressedBytes, image), Versus: versusText(image.VersusSingleStage), Layers: len(image.Layers)}
	switch {
	case image.Check.Passed == image.ExpectedToPass:
		v.BadgeClass = "good"
	default:
		v.BadgeClass = "bad"
	}
	if image.Error != "" {
		v.Error = failure.FirstLine(image.Error)
	}
	if !image.Check.Passed {
		v.CheckError, v.Why = image.Check.Error, keyLogLine(image.Check.Logs)
	}
	if total := image.Sizes.Parts.Total(); total > 0 && full > 0 {
		v.Bar, v.Parts = htmlBarOf(image, total, full, limits)
	}
	if c := image.Contents; c != nil {
		v.Flags = []htmlFlag{
			{Name: "user", Value: c.User, Warn: c.RunsAsRoot},
			{Name: "shell", Value: yesNo(c.Shell), Warn: len(c.Shell) > 0},
			{Name: "pip", Value: yesNo(c.Pip), Warn: len(c.Pip) > 0},
			{Name: "compiler", Value: yesNo(c.Compiler), Warn: len(c.Compiler) > 0},
			{Name: "package manager", Value: yesNo(c.PackageManager), Warn: len(c.PackageManager) > 0},
			{Name: "setuid files", Value: strconv.Itoa(len(c.SetuidFiles)), Warn: len(c.SetuidFiles) > 0},
			{Name: "files", Value: strconv.Itoa(c.FileCount)},
			{Name: "waste", Value: FormatBytes(c.WasteBytes), Warn: c.WasteBytes > 0},
		}
		var largest int64
		for _, d := range c.LargestDirs {
			largest = max(largest, d.Bytes)
		}
		for _, d := range c.LargestDirs {
			row := htmlDir{Path: d.Path, Size: FormatBytes(d.Bytes)}
			if largest > 0 {
				row.Width = 100 * float64(d.Bytes) / float64(largest)
			}
			v.Largest = append(v.Largest, row)
		}
	}
	for _, lib := range image.NativeLibraries {
		from := strings.TrimSpace(lib.Package + " " + lib.Version)
		if from == "" {
			from = lib.Path
		}
		v.Native = append(v.Native, fmt.Sprintf("%s (%s, %s)", lib.Soname, from, FormatBytes(lib.Bytes)))
	}
	if image.Reproducible != nil {
		v.Reproducible = reproducibleText(*image.Reproducible)
	}
	return v
}

// htmlBarOf lays out one image's parts on the shared scale (full bytes: barTrack px).
func htmlBarOf(image ImageReport, total, full int64, limits []BudgetResult) (*htmlBar, []htmlPartRow) {
	scale := barTrack / float64(full)
	bar := &htmlBar{Variant: image.Variant, End: float64(total) * scale, Label: FormatBytes(total)}
	var rows []htmlPartRow
	x := 0.0
	for _, p := range measure.AllParts {
		n := image.Sizes.Parts.Of(p)
		share := 100 * float64(n) / float64(total)
		rows = append(rows, htmlPartRow{Name: p.String(), Color: partColors[p], Size: FormatBytes(n), Bytes: groupDigits(n), Share: fmt.Sprintf("%.1f%%", share)})
		if n == 0 {
			continue
		}
		seg := htmlSegment{Part: p.String(), X: x, Width: float64(n) * scale, Color: partColors[p], Bytes: n,
			Title: fmt.Sprintf("%s: %s (%s bytes, %.1f%% of %s)", p, FormatBytes(n), groupDigits(n), share, image.Variant)}
		if seg.Width >= barLabelMin {
			seg.Label = p.String() + " " + FormatBytes(n)
		}
		bar.Segments = append(bar.Segments, seg)
		x += seg.Width
	}
	for _, b := range limits {
		if b.Variant != image.Variant {
			continue
		}
		kind, _, _ := strings.Cut(b.Budget, " ")
		m := htmlMarker{X: float64(b.SizeLimitBytes) * scale, Y: barLine*float64(len(bar.Budgets)+1) - 3, Label: kind + " " + FormatBytes(b.SizeLimitBytes), Broken: !b.Passed}
		m.Left = m.X > barTrack-130
		bar.Budgets = append(bar.Budgets, m)
	}
	bar.Top = 4 + barLine*float64(len(bar.Budgets))
	bar.Height = bar.Top + barHeight + 4
	bar.LabelX = bar.End
	for i, m := range bar.Budgets {
		bar.Budgets[i].From, bar.Budgets[i].To = m.Y+3, bar.Top+barHeight+3
		if m.X >= bar.LabelX-2 && m.X < bar.LabelX+70 {
			bar.LabelX = m.X
		}
	}
	return bar, rows
}

// groupDigits writes n with its thousands separated: 112,700,000.
func groupDigits(n int64) string {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return sign + s
}
