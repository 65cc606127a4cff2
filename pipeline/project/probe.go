package project

import (
	"fmt"
	"regexp"
	"strings"
)

// Probe is what a check asks and what counts as a good answer, like a Kubernetes
// httpGet probe: GET Path, a status of 200–399 unless Status pins one, and, when
// given, a body that contains Contains and matches Regex. The images' HEALTHCHECK
// asks the same path and accepts the same statuses, so Docker and the check agree.
type Probe struct {
	Path string `json:"path"`
	// Status pins the one status that passes; 0 accepts 200–399.
	Status   int    `json:"status,omitempty"`
	Contains string `json:"contains,omitempty"`
	Regex    string `json:"regex,omitempty"`
	// BodyFrom says where the body match came from ("--expect", the project's
	// pyproject.toml); empty when the body is not checked.
	BodyFrom string `json:"bodyFrom,omitempty"`
	regex    *regexp.Regexp
}

// DefaultCheckPath is what a check requests when neither the caller nor the project names a path.
const DefaultCheckPath = "/"

// ProbeFor is the check in force: each part from asked (the caller's options) when
// given, else from the project's own [tool.multistage.check], else the default (GET /,
// 200–399, any body). Both specs are validated before (CheckSpec.Validate).
func ProbeFor(asked CheckSpec, own *CheckSpec) Probe {
	if own == nil {
		own = &CheckSpec{}
	}
	probe := Probe{Path: firstNonEmpty(asked.Path, own.Path, DefaultCheckPath), Status: asked.Status}
	if probe.Status == 0 {
		probe.Status = own.Status
	}
	switch {
	case asked.Expect != "" || asked.ExpectRegex != "":
		probe.Contains, probe.Regex, probe.BodyFrom = asked.Expect, asked.ExpectRegex, "--expect"
	case own.Expect != "" || own.ExpectRegex != "":
		probe.Contains, probe.Regex, probe.BodyFrom = own.Expect, own.ExpectRegex, CheckSource
	}
	if probe.Regex != "" {
		probe.regex = regexp.MustCompile(probe.Regex) // validated before
	}
	return probe
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// Accepts says whether an answer passes, and if not, what was wanted.
func (p Probe) Accepts(status int, body string) (bool, string) {
	switch {
	case p.Status != 0 && status != p.Status:
		return false, fmt.Sprintf("status %d", p.Status)
	case p.Status == 0 && (status < 200 || status > 399):
		return false, "status 200–399"
	case p.Contains != "" && !strings.Contains(body, p.Contains):
		return false, fmt.Sprintf("a body containing %q", p.Contains)
	case p.regex != nil && !p.regex.MatchString(body):
		return false, fmt.Sprintf("a body matching %q", p.Regex)
	}
	return true, ""
}

// Describe says in words what the probe asks: `GET /health, status 200–399, body containing "ok"`.
func (p Probe) Describe() string {
	parts := []string{"GET " + p.Path}
	if p.Status != 0 {
		parts = append(parts, fmt.Sprintf("status %d", p.Status))
	} else {
		parts = append(parts, "status 200–399")
	}
	if p.Contains != "" {
		parts = append(parts, fmt.Sprintf("body containing %q", p.Contains))
	}
	if p.Regex != "" {
		parts = append(parts, fmt.Sprintf("body matching %q", p.Regex))
	}
	return strings.Join(parts, ", ")
}

// HealthcheckCommand is the probe as an image's HEALTHCHECK: it asks the app on port
// for the probe's path with the Python the image already has, and accepts the probe's
// statuses: a redirect is an answer, not followed (urllib raises it as an HTTPError
// once the handler declines it).
func (p Probe) HealthcheckCommand(port int) []string {
	accepted := "200<=s<400"
	if p.Status != 0 {
		accepted = fmt.Sprintf("s==%d", p.Status)
	}
	script := fmt.Sprintf(`import sys,urllib.request as u
class Stay(u.HTTPRedirectHandler):
    def redirect_request(self,*a): return None
try: s=u.build_opener(Stay).open(%q,timeout=2).status
except u.HTTPError as e: s=e.code
sys.exit(0 if %s else 1)`, fmt.Sprintf("http://127.0.0.1:%d%s", port, p.Path), accepted)
	return []string{"python", "-c", script}
}
