package report

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/multistage/multistage/internal/atomicfile"
	"github.com/multistage/multistage/pipeline/measure"
)

// The report's pictures are tested in a real browser: headless Chromium loads them
// from disk with the network off (every host name resolves to nothing), and the test
// reads the DOM it rendered (--dump-dom).

// chromiumPath finds a Chromium: $MULTISTAGE_CHROMIUM, else Debian's chromium (or
// Ubuntu's chromium-browser, or Google Chrome) on PATH; the test skips without one.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if path := os.Getenv("MULTISTAGE_CHROMIUM"); path != "" {
		return path
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Skip("no Chromium to load the report in (Debian: apt-get install chromium)")
	return ""
}

// runChromium runs Chromium headless on a page of disk, with a fresh profile, no
// network and no background requests, and returns what it printed.
func runChromium(t *testing.T, page string, args ...string) []byte {
	t.Helper()
	chromium := chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	all := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--user-data-dir=" + t.TempDir(), "--host-resolver-rules=MAP * ~NOTFOUND", "--hide-scrollbars",
		"--force-device-scale-factor=1"}, args...)
	all = append(all, (&url.URL{Scheme: "file", Path: page}).String())
	cmd := exec.CommandContext(ctx, chromium, all...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, lastLines(stderr.String(), 5))
	}
	return out
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// browserSample is the sample report with contents and the budgets CI sets, one broken.
func browserSample() *Report {
	r := sampleReport()
	r.Images[1].Contents = &measure.Contents{User: "10001:10001", Shell: []string{"/bin/sh"}, Pip: []string{}, Compiler: []string{}, PackageManager: []string{"/usr/bin/apt"},
		SetuidFiles: []string{"/usr/bin/su"}, FileCount: 4599, LargestDirs: []measure.DirSize{{Path: "/usr/lib", Bytes: 68_500_000}, {Path: "/usr/bin", Bytes: 30_200_000}, {Path: "/opt/venv", Bytes: 4_600_000}}, WasteBytes: 3400}
	r.Images[0].Check.Server, r.Images[1].Check.Server = "Werkzeug/3.1.3 Python/3.13.5", "gunicorn"
	b, _ := ParseBudgets([]string{"multi-stage=150MB", "tutorial=120MB"}, "5", "")
	r.ApplyBudgets(b)
	return r
}

// browserReport is the report the browser tests render: browserSample, or the
// report.json that $MULTISTAGE_REPORT_JSON names (a real one, for the README's picture).
func browserReport(t *testing.T) *Report {
	path := os.Getenv("MULTISTAGE_REPORT_JSON")
	if path == "" {
		return browserSample()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// external matches what would make a page reach beyond its own file.
var external = regexp.MustCompile(`(?i)\b(src|href|action|xlink:href)\s*=|url\(|@import|https?://|//[a-z0-9.-]+\.[a-z]{2,}/`)

// TestHTMLReportIsSelfContained: nothing to fetch, no script, no font from elsewhere.
func TestHTMLReportIsSelfContained(t *testing.T) {
	page, err := browserSample().Render(FormatHTML)
	if err != nil {
		t.Fatal(err)
	}
	if m := external.FindString(page); m != "" {
		t.Errorf("report.html refers to something outside itself: %q", m)
	}
	if strings.Contains(page, "<script") {
		t.Error("report.html has a script")
	}
	for _, want := range []string{
		`<div class="verdict failed" role="status">FAILED: max-size tutorial=120.0 MB: over by 10.0 MB (130.0 MB).</div>`,
		`<h2>multi-stage</h2>`, `served by`, `user: 10001:10001`, `/usr/lib`, `libpq.so.5 (libpq5 17.6-0&#43;deb13u1, 345.0 kB)`,
		`dependencies: 14.0 MB (14,000,000 bytes, 9.3% of multi-stage)`, // a part's hover
		`<td class="n">14,000,000</td>`,                                 // and its table
		`why: ModuleNotFoundError: No module named &#39;flask&#39;`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

// measureScript, added to a copy of the page (the report has no script of its own),
// writes each bar's rendered width, as the browser laid it out, into the DOM.
const measureBars = `<script>
for (const svg of document.querySelectorAll("svg.bar")) {
  svg.setAttribute("data-track-px", svg.querySelector("rect.track").getBoundingClientRect().width);
  for (const part of svg.querySelectorAll("rect[data-part]")) part.setAttribute("data-px", part.getBoundingClientRect().width);
}
document.body.setAttribute("data-measured", "yes");
</script>`

var (
	renderedBar  = regexp.MustCompile(`(?s)<svg class="bar" data-variant="([^"]+)"[^>]*data-track-px="([0-9.]+)"[^>]*>(.*?)</svg>`)
	renderedPart = regexp.MustCompile(`<rect data-part="([^"]+)" data-bytes="([0-9]+)"[^>]*data-px="([0-9.]+)"`)
)

// TestHTMLReportBarsAreProportionalInABrowser: Chromium lays out report.html from disk;
// each variant's bar shows each of its reported parts at its bytes' share of the
// common scale, within a pixel; a screenshot is written.
func TestHTMLReportBarsAreProportionalInABrowser(t *testing.T) {
	chromiumPath(t)
	r := browserReport(t)
	page, err := r.HTML()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	reportPath := filepath.Join(dir, "report.html")
	measured := filepath.Join(dir, "measured.html")
	os.WriteFile(reportPath, []byte(page), 0o644)
	os.WriteFile(measured, []byte(strings.Replace(page, "</body>", measureBars+"</body>", 1)), 0o644)

	start := time.Now()
	dom := string(runChromium(t, measured, "--window-size=1100,900", "--dump-dom"))
	t.Logf("Chromium laid out report.html in %.2fs", time.Since(start).Seconds())
	if !strings.Contains(dom, `data-measured="yes"`) {
		t.Fatalf("the page was not measured:\n%s", lastLines(dom, 5))
	}
	bars := map[string][]string{}
	for _, m := range renderedBar.FindAllStringSubmatch(dom, -1) {
		bars[m[1]] = m[2:]
	}
	// The common scale: the largest image, or a budget above it, fills the track.
	var full int64
	for _, image := range r.Images {
		full = max(full, image.Sizes.Parts.Total())
	}
	for _, b := range r.sizeLimits() {
		full = max(full, b.SizeLimitBytes)
	}
	for _, image := range r.Images {
		parts := image.Sizes.Parts
		bar, ok := bars[image.Variant]
		if parts.Total() == 0 {
			continue
		}
		if !ok {
			t.Errorf("%s: no bar rendered", image.Variant)
			continue
		}
		track, _ := strconv.ParseFloat(bar[0], 64)
		if track < 600 {
			t.Errorf("%s: the bar's track is %.1f px wide: the page was not laid out at its width", image.Variant, track)
		}
		rendered := map[string]float64{}
		for _, m := range renderedPart.FindAllStringSubmatch(bar[1], -1) {
			px, _ := strconv.ParseFloat(m[3], 64)
			rendered[m[1]] = px
			if bytes, _ := strconv.ParseInt(m[2], 10, 64); bytes != parts.Of(partNamed(t, m[1])) {
				t.Errorf("%s %s: the page says %d bytes, the report %d", image.Variant, m[1], bytes, parts.Of(partNamed(t, m[1])))
			}
		}
		var shown []string
		for _, p := range measure.AllParts {
			n := parts.Of(p)
			px, drawn := rendered[p.String()]
			want := float64(n) / float64(full) * track
			switch {
			case n == 0 && drawn:
				t.Errorf("%s: %s has no bytes but is drawn %.2f px wide", image.Variant, p, px)
			case n > 0 && !drawn:
				t.Errorf("%s: %s (%d bytes) is not drawn", image.Variant, p, n)
			case n > 0 && math.Abs(px-want) > 1:
				t.Errorf("%s: %s is %.2f px wide, its %d bytes of %d on a %.1f px track make %.2f px", image.Variant, p, px, n, full, track, want)
			}
			if drawn {
				shown = append(shown, fmt.Sprintf("%s %.1fpx", p, px))
			}
		}
		t.Logf("%s: %s (track %.0f px = %s)", image.Variant, strings.Join(shown, ", "), track, FormatBytes(full))
	}

	// A screenshot of the page itself, for the README (MULTISTAGE_SCREENSHOT names where).
	shot := os.Getenv("MULTISTAGE_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(dir, "report.png")
	} else if shot, err = filepath.Abs(shot); err != nil {
		t.Fatal(err)
	}
	height := "1700"
	if h := os.Getenv("MULTISTAGE_SCREENSHOT_HEIGHT"); h != "" {
		height = h
	}
	runChromium(t, reportPath, "--window-size=1100,"+height, "--screenshot="+shot)
	png, err := os.ReadFile(shot)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 10_000 {
		t.Fatalf("no screenshot at %s (%d bytes, %v)", shot, len(png), err)
	}
	t.Logf("screenshot: %s (%d bytes), %.2fs in all", shot, len(png), time.Since(start).Seconds())
}

func partNamed(t *testing.T, name string) measure.Part {
	for _, p := range measure.AllParts {
		if p.String() == name {
			return p
		}
	}
	t.Fatalf("no part named %q", name)
	return 0
}

// mermaidVersions are the Mermaid releases the Markdown chart is rendered with: the
// last of 10.x (the first line with xychart and front-matter config, which GitHub long
// ran) and the last of 11.x. MULTISTAGE_MERMAID_VERSIONS replaces them (comma-separated).
var mermaidVersions = []string{"10.9.8", "11.17.2"}

// mermaidBundle is Mermaid's browser bundle (dist/mermaid.min.js) of a version, from
// the npm registry through npm, kept in the user's cache directory; the test skips
// when npm cannot fetch it.
func mermaidBundle(t *testing.T, version string) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	path := filepath.Join(cache, "multistage", "mermaid", version, "mermaid.min.js")
	if st, err := os.Stat(path); err == nil && st.Size() > 0 {
		return path
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("no npm to fetch Mermaid with (Debian: apt-get install npm)")
	}
	tmp := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "pack", "mermaid@"+version, "--pack-destination", tmp, "--silent")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("npm cannot fetch mermaid@%s (%v: %s)", version, err, lastLines(string(out), 1))
	}
	bundle, err := fileInTarball(filepath.Join(tmp, "mermaid-"+version+".tgz"), "package/dist/mermaid.min.js")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.Write(path, func(tmp string) error { return os.WriteFile(tmp, bundle, 0o644) }); err != nil {
		t.Fatal(err)
	}
	return path
}

// fileInTarball reads one file of a gzipped tarball (an npm package).
func fileInTarball(path, name string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s holds no %s", path, name)
		}
		if err != nil {
			return nil, err
		}
		if h.Name == name {
			return io.ReadAll(tr)
		}
	}
}

// mermaidPage renders one chart with a Mermaid bundle and puts the SVG in the page.
const mermaidPage = `<!doctype html>
<html><head><meta charset="utf-8"></head><body><div id="chart"></div>
<script src="%s"></script>
<script>
mermaid.initialize({startOnLoad: false});
mermaid.render("sizes", %s)
  .then(r => { document.getElementById("chart").innerHTML = r.svg; document.body.setAttribute("data-rendered", "yes"); })
  .catch(e => document.body.setAttribute("data-error", String(e && e.message || e)));
</script></body></html>`

var (
	mermaidBlock = regexp.MustCompile("(?s)```mermaid\n(.*?)```\n")
	mermaidBar   = regexp.MustCompile(`<rect[^>]*height="([0-9.e-]+)"[^>]*fill="(#[0-9a-f]{6})"`)
	mermaidLine  = regexp.MustCompile(`<path[^>]*stroke="(#[0-9a-f]{6})"`)
)

// TestMermaidChartRendersWithMermaid renders the Markdown report's chart with Mermaid
// itself in Chromium, and requires an SVG with a bar per variant in every part's
// color, each as tall as its running total, and a line per size budget.
func TestMermaidChartRendersWithMermaid(t *testing.T) {
	chromiumPath(t)
	r := browserReport(t)
	block := mermaidBlock.FindStringSubmatch(r.Markdown())
	if block == nil {
		t.Fatal("the Markdown report has no mermaid block")
	}
	source, _ := json.Marshal(block[1]) // a JS string: json escapes <, > and &
	versions := mermaidVersions
	if v := os.Getenv("MULTISTAGE_MERMAID_VERSIONS"); v != "" {
		versions = strings.Split(v, ",")
	}
	for _, version := range versions {
		t.Run(version, func(t *testing.T) {
			bundle := mermaidBundle(t, version)
			page := filepath.Join(t.TempDir(), "chart.html")
			os.WriteFile(page, fmt.Appendf(nil, mermaidPage, (&url.URL{Scheme: "file", Path: bundle}).String(), source), 0o644)
			start := time.Now()
			dom := string(runChromium(t, page, "--virtual-time-budget=15000", "--dump-dom"))
			t.Logf("mermaid %s rendered the chart in %.2fs", version, time.Since(start).Seconds())
			if !strings.Contains(dom, `data-rendered="yes"`) {
				why := regexp.MustCompile(`data-error="([^"]*)"`).FindStringSubmatch(dom)
				t.Fatalf("mermaid %s did not render the chart: %v", version, why)
			}
			heights := map[string][]float64{}
			for _, m := range mermaidBar.FindAllStringSubmatch(dom, -1) {
				h, _ := strconv.ParseFloat(m[1], 64)
				heights[m[2]] = append(heights[m[2]], h)
			}
			// Each series is a running total: the base alone, ..., the whole image.
			type bar struct {
				variant string
				part    measure.Part
				bytes   int64
				px      float64
			}
			var bars []bar
			for _, p := range measure.AllParts {
				got := heights[partColors[p]]
				if len(got) != len(r.Images) {
					t.Errorf("mermaid %s: %d bars in %s's color, want one per variant (%d)", version, len(got), p, len(r.Images))
					continue
				}
				for i, image := range r.Images {
					var sum int64
					for _, q := range measure.AllParts[:p+1] {
						sum += image.Sizes.Parts.Of(q)
					}
					bars = append(bars, bar{image.Variant, p, sum, got[i]})
				}
			}
			// One linear scale for all (its zero may sit a little below the axis):
			// from the lowest and the highest bar, every other must be where its bytes say.
			lo, hi := bars[0], bars[0]
			for _, b := range bars {
				if b.bytes < lo.bytes {
					lo = b
				}
				if b.bytes > hi.bytes {
					hi = b
				}
			}
			perByte := (hi.px - lo.px) / float64(hi.bytes-lo.bytes)
			if perByte <= 0 {
				t.Fatalf("mermaid %s: taller bars for fewer bytes: %+v", version, bars)
			}
			for _, b := range bars {
				if want := lo.px + float64(b.bytes-lo.bytes)*perByte; math.Abs(b.px-want) > 1 {
					t.Errorf("mermaid %s: %s's bar up to %s is %.1f px tall, its %d bytes make %.1f", version, b.variant, b.part, b.px, b.bytes, want)
				}
			}
			colors := map[string]bool{}
			for i := range r.sizeLimits() {
				colors[budgetColors[i%len(budgetColors)]] = true
			}
			lines := 0
			for _, m := range mermaidLine.FindAllStringSubmatch(dom, -1) {
				if colors[m[1]] {
					lines++
				}
			}
			if lines != len(r.sizeLimits()) {
				t.Errorf("mermaid %s: %d budget lines drawn, want %d", version, lines, len(r.sizeLimits()))
			}
			t.Logf("mermaid %s: %d bars per part, heights %v", version, len(r.Images), heights[partColors[measure.PartApp]])
		})
	}
}
