// Package secrets finds credentials in files with gitleaks' own rule set: its default
// configuration (gitleaks.toml, vendored from the gitleaks release named in go.mod,
// MIT-licensed, LICENSE.gitleaks), applied the way gitleaks' detect package applies it:
// keywords first, then each rule's regular expression (Go's, as gitleaks uses), its
// secret group, its entropy floor, the global and the rule's allowlists (paths,
// regexes on the secret, the match or the line, stopwords, AND conditions), the
// "gitleaks:allow" comment, and a generic rule giving way to a specific one on the
// same line. Not taken: gitleaks' decoding of base64/hex/percent-encoded text, and
// git history (there is none in an image).
//
// In: a path (as the user knows it) and the file's bytes. Out: findings, each with
// the rule, the line and the secret masked; the secret itself never leaves Scan.
// A test checks, on a corpus, that gitleaks' detect package finds the same.
//
// Why not gitleaks' detect package itself: it brings 170 packages (archive
// formats, viper, git) into every build of the CLI and the module, whose cold
// load it would lengthen by tens of seconds; the rules are data, and this is all
// of their evaluation.
package secrets

import (
	_ "embed"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
)

// GitleaksConfig is gitleaks' default rule set, as released.
//
//go:embed gitleaks.toml
var GitleaksConfig string

// ExtraConfig holds the rules gitleaks' default set lacks (multistage.toml says why).
//
//go:embed multistage.toml
var ExtraConfig string

// Finding is one secret found in a file.
type Finding struct {
	Path string
	// Line is the 1-based line where the match starts.
	Line   int
	RuleID string
	// Masked is the secret with all but its first four characters (none for a
	// secret of eight characters or fewer) replaced by '*'.
	Masked string
}

// allowlist is gitleaks' [[rules.allowlists]] / [allowlist].
type allowlist struct {
	and         bool
	regexTarget string
	paths       []*regexp.Regexp
	regexes     []*regexp.Regexp
	stopwords   []string
}

type rule struct {
	id          string
	regex       *regexp.Regexp
	path        *regexp.Regexp
	secretGroup int
	entropy     float64
	keywords    []string
	allowlists  []allowlist
}

// Rules is a parsed rule set.
type Rules struct {
	rules  []rule
	global []allowlist
}

type tomlAllowlist struct {
	Condition   string   `toml:"condition"`
	RegexTarget string   `toml:"regexTarget"`
	Paths       []string `toml:"paths"`
	Regexes     []string `toml:"regexes"`
	Stopwords   []string `toml:"stopwords"`
	Commits     []string `toml:"commits"`
}

type tomlConfig struct {
	Allowlist  *tomlAllowlist  `toml:"allowlist"`
	Allowlists []tomlAllowlist `toml:"allowlists"`
	Rules      []struct {
		ID          string          `toml:"id"`
		Regex       string          `toml:"regex"`
		Path        string          `toml:"path"`
		SecretGroup int             `toml:"secretGroup"`
		Entropy     float64         `toml:"entropy"`
		Keywords    []string        `toml:"keywords"`
		Allowlists  []tomlAllowlist `toml:"allowlists"`
		SkipReport  bool            `toml:"skipReport"`
		Required    []any           `toml:"required"`
	} `toml:"rules"`
}

// Parse reads a gitleaks configuration.
func Parse(text string) (*Rules, error) {
	var cfg tomlConfig
	if _, err := toml.Decode(text, &cfg); err != nil {
		return nil, fmt.Errorf("gitleaks configuration: %w", err)
	}
	compile := func(exprs []string) ([]*regexp.Regexp, error) {
		var out []*regexp.Regexp
		for _, e := range exprs {
			re, err := regexp.Compile(e)
			if err != nil {
				return nil, err
			}
			out = append(out, re)
		}
		return out, nil
	}
	allowlists := func(in []tomlAllowlist) ([]allowlist, error) {
		var out []allowlist
		for _, a := range in {
			if len(a.Commits) > 0 && len(a.Paths)+len(a.Regexes)+len(a.Stopwords) == 0 {
				continue // commits only: there is no history in an image
			}
			paths, err := compile(a.Paths)
			if err != nil {
				return nil, err
			}
			regexes, err := compile(a.Regexes)
			if err != nil {
				return nil, err
			}
			stopwords := make([]string, len(a.Stopwords))
			for i, w := range a.Stopwords {
				stopwords[i] = strings.ToLower(w)
			}
			out = append(out, allowlist{and: strings.EqualFold(a.Condition, "AND"), regexTarget: a.RegexTarget,
				paths: paths, regexes: regexes, stopwords: stopwords})
		}
		return out, nil
	}
	var r Rules
	global := cfg.Allowlists
	if cfg.Allowlist != nil {
		global = append([]tomlAllowlist{*cfg.Allowlist}, global...)
	}
	var err error
	if r.global, err = allowlists(global); err != nil {
		return nil, err
	}
	for _, t := range cfg.Rules {
		if t.SkipReport || len(t.Required) > 0 {
			continue // parts of composite rules, which the default set does not use
		}
		x := rule{id: t.ID, secretGroup: t.SecretGroup, entropy: t.Entropy}
		for _, k := range t.Keywords {
			x.keywords = append(x.keywords, strings.ToLower(k))
		}
		if t.Regex != "" {
			if x.regex, err = regexp.Compile(t.Regex); err != nil {
				return nil, fmt.Errorf("rule %s: %w", t.ID, err)
			}
		}
		if t.Path != "" {
			if x.path, err = regexp.Compile(t.Path); err != nil {
				return nil, fmt.Errorf("rule %s: %w", t.ID, err)
			}
		}
		if x.allowlists, err = allowlists(t.Allowlists); err != nil {
			return nil, fmt.Errorf("rule %s: %w", t.ID, err)
		}
		r.rules = append(r.rules, x)
	}
	return &r, nil
}

var (
	defaultOnce  sync.Once
	defaultRules *Rules
	defaultErr   error
)

// Default is gitleaks' default rule set and the extra rules, parsed once.
func Default() (*Rules, error) {
	defaultOnce.Do(func() {
		defaultRules, defaultErr = Parse(GitleaksConfig)
		if defaultErr != nil {
			return
		}
		extra, err := Parse(ExtraConfig)
		if err != nil {
			defaultErr = err
			return
		}
		defaultRules.rules = append(defaultRules.rules, extra.rules...)
	})
	return defaultRules, defaultErr
}

// Count is the number of rules.
func (r *Rules) Count() int { return len(r.rules) }

func anyMatch(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// pathAllowed: an allowlist that lets a whole file go by its path alone (gitleaks'
// checkCommitOrPathAllowed).
func (a allowlist) pathAllowed(path string) bool {
	if len(a.paths) == 0 {
		return false
	}
	if a.and && (len(a.regexes) > 0 || len(a.stopwords) > 0) {
		return false // decided per finding
	}
	return anyMatch(a.paths, path)
}

// findingAllowed: gitleaks' checkFindingAllowed.
func (a allowlist) findingAllowed(path, secret, match, line string) bool {
	target := secret
	switch a.regexTarget {
	case "match":
		target = match
	case "line":
		target = line
	}
	regexAllowed := target != "" && anyMatch(a.regexes, target)
	stopword := false
	lower := strings.ToLower(secret)
	for _, w := range a.stopwords {
		if secret != "" && strings.Contains(lower, w) {
			stopword = true
			break
		}
	}
	if !a.and {
		return regexAllowed || stopword
	}
	checks := []bool{}
	if len(a.paths) > 0 {
		checks = append(checks, anyMatch(a.paths, path))
	}
	if len(a.regexes) > 0 {
		checks = append(checks, regexAllowed)
	}
	if len(a.stopwords) > 0 {
		checks = append(checks, stopword)
	}
	for _, c := range checks {
		if !c {
			return false
		}
	}
	return true
}

// found is a finding before masking.
type found struct {
	Finding
	secret, match string
}

// Scan finds the secrets in one file. path is matched by the path rules and
// allowlists as gitleaks matches a file's path.
func (r *Rules) Scan(path string, content []byte) []Finding {
	for _, a := range r.global {
		if a.pathAllowed(path) {
			return nil
		}
	}
	raw := string(content)
	lower := strings.ToLower(raw)
	var all []found
	for _, x := range r.rules {
		if len(x.keywords) > 0 && !containsAny(lower, x.keywords) {
			continue
		}
		all = append(all, r.scanRule(x, path, raw)...)
	}
	// A generic rule gives way to a specific one that found the same secret on the same line.
	var out []Finding
	for _, f := range all {
		generic := strings.Contains(strings.ToLower(f.RuleID), "generic")
		shadowed := false
		for _, g := range all {
			if generic && g.Line == f.Line && g.RuleID != f.RuleID && strings.Contains(g.secret, f.secret) &&
				!strings.Contains(strings.ToLower(g.RuleID), "generic") {
				shadowed = true
				break
			}
		}
		if !shadowed {
			f.Masked = Mask(f.secret)
			out = append(out, f.Finding)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func (r *Rules) scanRule(x rule, path, raw string) []found {
	for _, a := range x.allowlists {
		if a.pathAllowed(path) {
			return nil
		}
	}
	if x.path != nil && !x.path.MatchString(path) {
		return nil
	}
	if x.regex == nil {
		if x.path != nil {
			return []found{{Finding: Finding{Path: path, RuleID: x.id}}}
		}
		return nil
	}
	var out []found
	for _, m := range x.regex.FindAllStringIndex(raw, -1) {
		match := strings.Trim(raw[m[0]:m[1]], "\n")
		start := m[0] + strings.Index(raw[m[0]:m[1]], match)
		lineStart := strings.LastIndexByte(raw[:start], '\n') + 1
		lineEnd := strings.IndexByte(raw[start+len(match):], '\n')
		if lineEnd < 0 {
			lineEnd = len(raw)
		} else {
			lineEnd += start + len(match)
		}
		line := raw[lineStart:lineEnd]
		if strings.Contains(line, "gitleaks:allow") {
			continue
		}
		secret := match
		if groups := x.regex.FindStringSubmatch(match); len(groups) >= 2 {
			if x.secretGroup > 0 {
				if len(groups) <= x.secretGroup {
					continue
				}
				secret = groups[x.secretGroup]
			} else {
				for _, g := range groups[1:] {
					if g != "" {
						secret = g
						break
					}
				}
			}
		}
		if x.entropy != 0 && shannonEntropy(secret) <= x.entropy {
			continue
		}
		allowed := false
		for _, a := range append(append([]allowlist{}, r.global...), x.allowlists...) {
			if a.findingAllowed(path, secret, match, line) {
				allowed = true
				break
			}
		}
		if allowed {
			continue
		}
		out = append(out, found{Finding: Finding{Path: path, Line: strings.Count(raw[:start], "\n") + 1, RuleID: x.id}, secret: secret, match: match})
	}
	return out
}

// shannonEntropy is gitleaks' measure of how random a secret looks.
func shannonEntropy(data string) float64 {
	if data == "" {
		return 0
	}
	counts := map[rune]int{}
	for _, c := range data {
		counts[c]++
	}
	var entropy float64
	inv := 1.0 / float64(len(data))
	for _, n := range counts {
		f := float64(n) * inv
		entropy -= f * math.Log2(f)
	}
	return entropy
}

// Mask shows the first four characters of a secret longer than eight, and hides the
// rest: enough to tell which key it is, not enough to use it.
func Mask(secret string) string {
	runes := []rune(secret)
	shown := 4
	if len(runes) <= 8 {
		shown = 0
	}
	return string(runes[:shown]) + strings.Repeat("*", len(runes)-shown)
}
