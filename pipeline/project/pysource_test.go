package project

import (
	"slices"
	"strings"
	"testing"
)

func TestStaticReadingSeesModuleLevelBindingsOnly(t *testing.T) {
	src := `"""A docstring that mentions app = Flask(__name__) is not code."""
import os, flask as fl
from flask import (
    Flask,
    jsonify as js,
)
from .views import bp
from . import models
from helpers import *

try:
    from config import Settings
except ImportError:  # app = broken() in a comment
    Settings = None

if os.environ.get("X"):
    web = fl.Flask(__name__)
else:
    web = Flask(
        __name__,
    )

a = b = Flask("two"); c: "Flask" = Flask("three")
long = \
    make()
d = {"k": 1}
x == 1

def create_app(config=None, *, debug=False):
    inner = Flask(__name__)
    return inner

async def make_app(
    name,  # required
    level: int = 1,
): pass

class Config:
    app = Flask("in a class")

if __name__ == "__main__":
    main = Flask("only when run")
else:
    imported = True
`
	m := readModule([]byte(src))
	want := map[string]binding{
		"os":         {kind: bindImport, from: "os"},
		"fl":         {kind: bindImport, from: "flask"},
		"Flask":      {kind: bindImport, from: "flask", orig: "Flask"},
		"js":         {kind: bindImport, from: "flask", orig: "jsonify"},
		"bp":         {kind: bindImport, from: ".views", orig: "bp"},
		"models":     {kind: bindImport, from: ".", orig: "models"},
		"Settings":   {kind: bindValue, expr: "None"},
		"web":        {kind: bindValue, expr: "Flask( __name__, )"},
		"a":          {kind: bindValue, expr: `Flask("two")`},
		"b":          {kind: bindValue, expr: `Flask("two")`},
		"c":          {kind: bindValue, expr: `Flask("three")`},
		"long":       {kind: bindValue, expr: "make()"},
		"d":          {kind: bindValue, expr: `{"k": 1}`},
		"create_app": {kind: bindDef, params: "config=None, *, debug=False"},
		"make_app":   {kind: bindDef, params: " name,   level: int = 1, "},
		"Config":     {kind: bindClass},
		"imported":   {kind: bindValue, expr: "True"},
	}
	for name, w := range want {
		got, ok := m.bindings[name]
		if !ok || got != w {
			t.Errorf("%s: got %+v (bound %t), want %+v", name, got, ok, w)
		}
	}
	for name := range m.bindings {
		if _, ok := want[name]; !ok {
			t.Errorf("%s is bound, but it is not at module level (or not a binding)", name)
		}
	}
	if !slices.Equal(m.starImports, []string{"helpers"}) {
		t.Errorf("star imports %q", m.starImports)
	}
	if req := requiredParams(m.bindings["make_app"].params); !slices.Equal(req, []string{"name"}) {
		t.Errorf("make_app requires %q, want [name]", req)
	}
	if req := requiredParams(m.bindings["create_app"].params); len(req) != 0 {
		t.Errorf("create_app requires %q, want none", req)
	}
	if !m.constructs(m.bindings["web"].expr, flaskCtor) || !m.constructs("fl.Flask(__name__)", flaskCtor) || m.constructs("make()", flaskCtor) {
		t.Errorf("Flask(...) and fl.Flask(...) construct Flask; make() does not")
	}
}

func TestStatementsJoinLinesAndDropComments(t *testing.T) {
	src := "x = '''a\nb = 1\n'''\ny = [1,  # one\n  2]\nz = 'it''s' # c\r\n\tw = \"q\\\"\"\n"
	var got []string
	for _, s := range statements(src) {
		got = append(got, strings.Repeat(">", s.indent)+s.text)
	}
	want := []string{"x = '''a\nb = 1\n'''", "y = [1,   2]", "z = 'it''s'", ">>>>>>>>w = \"q\\\"\""}
	if !slices.Equal(got, want) {
		t.Errorf("statements:\n%q\nwant:\n%q", got, want)
	}
}
