package secrets

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestAPasswordInAURLIsFound(t *testing.T) {
	rules, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]bool{
		"DATABASE_URL=postgres://admin:Tr0ub4dor3x@db/shop\n":    true,
		"url = 'redis://:s3cr3tpw@cache:6379/0'\n":               false, // no user: not this rule's shape
		"DATABASE_URL=postgres://admin:${DB_PASSWORD}@db/shop\n": false,
		"DATABASE_URL=postgres://user:password@localhost/db\n":   false,
		"see https://example.com/a:b@c\n":                        false,
		"BROKER=amqp://guest:<password>@rabbit//\n":              false,
	}
	for text, want := range cases {
		found := slices.ContainsFunc(rules.Scan(".env", []byte(text)), func(f Finding) bool { return f.RuleID == "url-password" })
		if found != want {
			t.Errorf("%q: found=%t, want %t", text, found, want)
		}
	}
	f := rules.Scan(".env", []byte("# db\nDATABASE_URL=postgres://admin:Tr0ub4dor3x@db/shop\n"))
	if len(f) != 1 || f[0].Line != 2 || f[0].Masked != "Tr0u*******" || strings.Contains(fmt.Sprint(f), "Tr0ub4dor3x") {
		t.Errorf("got %+v, want one finding on line 2, masked Tr0u*******", f)
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{"AKIAZ7VRSQ5TJRHXLPDE": "AKIA****************", "hunter22": "********", "": ""} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}
