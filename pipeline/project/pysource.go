package project

import (
	"regexp"
	"strings"
)

// A static reading of a Python module: what its module-level statements bind, found
// without running Python (the plan is made before anything is built).
//
// What it sees: statements at module level, including those inside top-level if/else,
// try/except, with, for and while blocks (they run at import), but not the bodies of
// def and class, nor of `if __name__ == "__main__":` (they do not run at import); an
// assignment `name = expr` (also annotated, and chained `a = b = expr`); `def` and
// `class`; `import` and `from … import …` with their `as` names. Strings, comments,
// brackets spanning lines, backslash continuations and `;` are honoured.
//
// What it cannot see: anything decided while the module runs. It does not know the type
// of a value returned by a call (`app = create_app()` may return anything), which of
// two branches ran, names bound by `from x import *`, by `globals()[...] = …`, by a
// one-line compound statement (`if x: app = …`) or by tuple unpacking, nor a module
// that changes itself on import. The rules that use it say which of these they assume.

// bindKind is how a module-level name is bound.
type bindKind int

const (
	bindValue  bindKind = iota // name = expr
	bindDef                    // def name(params):
	bindClass                  // class name:
	bindImport                 // import m as name, from m import x as name
)

// binding is the last module-level binding of a name.
type binding struct {
	kind bindKind
	// expr is the assigned expression (bindValue), params the parameter list (bindDef).
	expr, params string
	// from and orig are where an imported name comes from: from m import orig (orig
	// is "" for `import m as name`, which binds the module itself).
	from, orig string
}

// pyModule is the static reading of one module.
type pyModule struct {
	bindings map[string]binding
	// starImports are the modules of `from m import *` at module level.
	starImports []string
}

var (
	assignTarget = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=]*)?=(?:[^=]|$)`)
	defHeader    = regexp.MustCompile(`^(?:async\s+)?def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(`)
	classHeader  = regexp.MustCompile(`^class\s+([A-Za-z_][A-Za-z0-9_]*)`)
	importStmt   = regexp.MustCompile(`^import\s+(.+)$`)
	fromImport   = regexp.MustCompile(`^from\s+(\.*[A-Za-z0-9_.]*)\s+import\s+(.+)$`)
	compoundHead = regexp.MustCompile(`^(?:if|elif|else|try|except|finally|with|async\s+with|for|async\s+for|while|match|case|def|async\s+def|class)\b`)
	mainGuard    = regexp.MustCompile(`^if\s+__name__\s*==\s*['"]__main__['"]\s*:$`)
)

// keywords cannot be assigned to: `else: x = 1` is not an assignment to else.
var keywords = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`False None True and as assert async await break class continue def del elif else
		except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield`) {
		keywords[k] = true
	}
}

// readModule reads a module's source statically.
func readModule(src []byte) *pyModule {
	m := &pyModule{bindings: map[string]binding{}}
	type block struct {
		indent int
		opaque bool // a def or class body, or the __main__ guard: not run at import
	}
	var stack []block
	for _, st := range statements(string(src)) {
		for len(stack) > 0 && stack[len(stack)-1].indent >= st.indent {
			stack = stack[:len(stack)-1]
		}
		atModuleLevel := true
		for _, b := range stack {
			atModuleLevel = atModuleLevel && !b.opaque
		}
		text := st.text
		if compoundHead.MatchString(text) && strings.HasSuffix(text, ":") {
			opaque := defHeader.MatchString(text) || classHeader.MatchString(text) || mainGuard.MatchString(text)
			stack = append(stack, block{st.indent, opaque})
		}
		if atModuleLevel {
			m.bind(text)
		}
	}
	return m
}

// bind records what one module-level statement binds.
func (m *pyModule) bind(text string) {
	if d := defHeader.FindStringSubmatchIndex(text); d != nil {
		name := text[d[2]:d[3]]
		m.bindings[name] = binding{kind: bindDef, params: bracketed(text[d[1]-1:])}
		return
	}
	if c := classHeader.FindStringSubmatch(text); c != nil {
		m.bindings[c[1]] = binding{kind: bindClass}
		return
	}
	if f := fromImport.FindStringSubmatch(text); f != nil {
		names := strings.Trim(strings.TrimSpace(f[2]), "()")
		for _, part := range strings.Split(names, ",") {
			fields := strings.Fields(part)
			switch {
			case len(fields) == 1 && fields[0] == "*":
				m.starImports = append(m.starImports, f[1])
			case len(fields) == 1:
				m.bindings[fields[0]] = binding{kind: bindImport, from: f[1], orig: fields[0]}
			case len(fields) == 3 && fields[1] == "as":
				m.bindings[fields[2]] = binding{kind: bindImport, from: f[1], orig: fields[0]}
			}
		}
		return
	}
	if i := importStmt.FindStringSubmatch(text); i != nil {
		for _, part := range strings.Split(i[1], ",") {
			fields := strings.Fields(part)
			switch {
			case len(fields) == 1:
				// import a.b binds a, the top package.
				top, _, _ := strings.Cut(fields[0], ".")
				m.bindings[top] = binding{kind: bindImport, from: top}
			case len(fields) == 3 && fields[1] == "as":
				m.bindings[fields[2]] = binding{kind: bindImport, from: fields[0]}
			}
		}
		return
	}
	// name = [name = …] expr: every target of a chained assignment is bound to expr.
	var targets []string
	rest := text
	for {
		a := assignTarget.FindStringSubmatchIndex(rest)
		if a == nil || keywords[rest[a[2]:a[3]]] {
			break
		}
		targets = append(targets, rest[a[2]:a[3]])
		// The match ends one character past '=' (or at the end): step back to just after it.
		end := a[1]
		if end > 0 && rest[end-1] != '=' {
			end--
		}
		rest = strings.TrimSpace(rest[end:])
	}
	for _, t := range targets {
		m.bindings[t] = binding{kind: bindValue, expr: rest}
	}
}

// bracketed returns the text inside the bracket that text starts with.
func bracketed(text string) string {
	depth := 0
	for i, r := range text {
		switch r {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth == 0 {
				return text[1:i]
			}
		}
	}
	return strings.TrimPrefix(text, "(")
}

// requiredParams lists the parameters of a def that a call without arguments would
// miss: those with no default (*args, **kwargs and the / and * markers need nothing).
func requiredParams(params string) []string {
	var required []string
	for _, p := range splitTopLevel(params, ',') {
		p = strings.TrimSpace(p)
		if p == "" || p == "/" || p == "*" || strings.HasPrefix(p, "*") {
			continue
		}
		if strings.Contains(p, "=") {
			continue
		}
		name, _, _ := strings.Cut(p, ":")
		required = append(required, strings.TrimSpace(name))
	}
	return required
}

// splitTopLevel splits text at sep outside brackets and strings.
func splitTopLevel(text string, sep rune) []string {
	var parts []string
	depth, start := 0, 0
	var quote rune
	for i, r := range text {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '(' || r == '[' || r == '{':
			depth++
		case r == ')' || r == ']' || r == '}':
			depth--
		case r == sep && depth == 0:
			parts = append(parts, text[start:i])
			start = i + 1
		}
	}
	return append(parts, text[start:])
}

// statement is one logical statement of a source: its indentation and its text, with
// comments dropped, lines continued in brackets or after a backslash joined by a
// space, and the text of strings kept.
type statement struct {
	indent int
	text   string
}

// statements splits Python source into its logical statements.
func statements(src string) []statement {
	var out []statement
	var cur strings.Builder
	indent, depth := 0, 0
	atLineStart := true
	var quote string // the open string's delimiter: ', ", ''' or """
	flush := func() {
		if t := strings.TrimSpace(cur.String()); t != "" {
			out = append(out, statement{indent, t})
		}
		cur.Reset()
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		if atLineStart {
			// Measure the indentation of a new logical line (a tab counts to the next 8).
			col := 0
			for ; i < len(src) && (src[i] == ' ' || src[i] == '\t' || src[i] == '\f'); i++ {
				if src[i] == '\t' {
					col = col/8*8 + 8
				} else if src[i] == ' ' {
					col++
				}
			}
			if i >= len(src) {
				break
			}
			c = src[i]
			if c == '\n' || c == '\r' || c == '#' {
				// A blank or comment-only line starts nothing.
				if c == '#' {
					for i < len(src) && src[i] != '\n' {
						i++
					}
				}
				continue
			}
			indent, atLineStart = col, false
		}
		switch {
		case quote != "":
			if c == '\\' && i+1 < len(src) {
				cur.WriteByte(c)
				i++
				cur.WriteByte(src[i])
				continue
			}
			if strings.HasPrefix(src[i:], quote) {
				cur.WriteString(quote)
				i += len(quote) - 1
				quote = ""
				continue
			}
			if c == '\n' && len(quote) == 1 {
				// An unterminated one-line string ends at the line's end (a syntax error in Python).
				quote = ""
				if depth == 0 {
					flush()
					atLineStart = true
				}
				continue
			}
			cur.WriteByte(c)
		case c == '\'' || c == '"':
			quote = string(c)
			if strings.HasPrefix(src[i:], strings.Repeat(string(c), 3)) {
				quote = strings.Repeat(string(c), 3)
			}
			cur.WriteString(quote)
			i += len(quote) - 1
		case c == '#':
			for i+1 < len(src) && src[i+1] != '\n' {
				i++
			}
		case c == '\\' && i+1 < len(src) && (src[i+1] == '\n' || src[i+1] == '\r'):
			cur.WriteByte(' ')
			i++
			if src[i] == '\r' && i+1 < len(src) && src[i+1] == '\n' {
				i++
			}
		case c == '(' || c == '[' || c == '{':
			depth++
			cur.WriteByte(c)
		case c == ')' || c == ']' || c == '}':
			if depth > 0 {
				depth--
			}
			cur.WriteByte(c)
		case c == '\r':
		case c == '\n':
			if depth > 0 {
				// A line continued inside brackets: joined by one space.
				cur.WriteByte(' ')
				for i+1 < len(src) && (src[i+1] == ' ' || src[i+1] == '\t') {
					i++
				}
				continue
			}
			flush()
			atLineStart = true
		case c == ';' && depth == 0:
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}
