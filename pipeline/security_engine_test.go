package pipeline_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"dagger.io/dagger"
	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/multistage/multistage/internal/schemas"
	"github.com/multistage/multistage/internal/testenv"
	"github.com/multistage/multistage/pipeline"
	"github.com/multistage/multistage/pipeline/inventory"
	"github.com/multistage/multistage/pipeline/recipe"
	"github.com/multistage/multistage/pipeline/report"
)

// awsKey is a made-up access key ID in AWS's shape (gitleaks' aws-access-token rule).
const awsKey = "AKIAZ7VRSQ5TJRHXLPDE"

// secretsApp is the sample app as a developer's directory holds it: an .env with
// values, a private key under certs/, a value-free .env template, and an AWS key
// committed in settings.py. It returns the directory and the files the defaults must
// leave out (the sample app's two Dockerfiles, .env and the key) with their sizes.
func secretsApp(t *testing.T) (string, map[string]int64) {
	t.Helper()
	dir := copyTree(t, sampleApp)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		".env":             "SECRET_KEY=9f8e7d6c5b4a39281706f5e4d3c2b1a0\nDATABASE_URL=postgres://shop:Tr0ub4dor3x@db/shop\n",
		".env.example":     "# copy to .env and fill in\nSECRET_KEY=\nDATABASE_URL=\n",
		"certs/server.key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"settings.py":      "import os\n\nDEBUG = False\nAWS_ACCESS_KEY_ID = \"" + awsKey + "\"\nAWS_REGION = \"eu-west-1\"\n",
	}
	for name, text := range files {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	leftOut := map[string]int64{}
	for _, name := range []string{"Dockerfile", "Dockerfile.multistage", ".env", "certs/server.key"} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		leftOut[name] = info.Size()
	}
	return dir, leftOut
}

// TestSecretsAreLeftOutOrFoundAndFailTheVerdict: of an app holding .env, a private
// key under certs/ and an AWS key in settings.py, the defaults leave the first two out
// (counted to the byte, named on the sent: line) and keep the value-free template;
// the scan finds the third in every image, masked, and fails the verdict, which names
// it; --allow-secrets settings.py accepts it and the verdict passes.
func TestSecretsAreLeftOutOrFoundAndFailTheVerdict(t *testing.T) {
	testenv.Client(t)
	dir, leftOut := secretsApp(t)
	compared, built := kitPipeline(t, dir, nil).Compare(context.Background())

	wantFiles, wantBytes := 0, int64(0)
	for _, size := range leftOut {
		wantFiles++
		wantBytes += size
	}
	if s := compared.AppSource; s == nil || s.Rule != "defaults" || s.LeftOutFiles != wantFiles || s.LeftOutBytes != wantBytes ||
		!slices.Equal(s.Withheld, []string{".env", "certs/server.key"}) {
		t.Errorf("app source %+v, want the defaults leaving out %d files, %d bytes, withholding .env and certs/server.key", s, wantFiles, wantBytes)
	}
	for _, b := range built {
		files := appFiles(t, b.Image)
		if slices.Contains(files, ".env") || slices.Contains(files, "certs/server.key") || !slices.Contains(files, ".env.example") ||
			!slices.Contains(files, "settings.py") {
			t.Errorf("%s's /app: %v, want .env.example and settings.py without .env and certs/server.key", b.Variant.Name, files)
		}
	}

	want := inventory.SecretFinding{File: "settings.py", Line: 4, Rule: "aws-access-token", Masked: "AKIA****************"}
	for _, image := range compared.Images {
		if image.Secrets == nil || len(image.Secrets.Findings) != 1 || image.Secrets.Findings[0] != want {
			t.Errorf("%s: secrets %+v, want exactly %+v", image.Variant, image.Secrets, want)
		}
	}
	verdict := "FAILED: secret in settings.py:4 (aws-access-token) in single-stage, multi-stage, minimal, tutorial, accept it with --allow-secrets settings.py."
	if compared.OK || compared.Verdict() != verdict {
		t.Errorf("ok=%t, verdict %q, want %q", compared.OK, compared.Verdict(), verdict)
	}
	table, _ := compared.Render(report.FormatTable)
	t.Logf("report:\n%s", table)
	for _, line := range []string{"left out as possible secrets: .env, certs/server.key", "1 FOUND",
		"secret: settings.py:4 aws-access-token AKIA**************** (fails the verdict; --allow-secrets settings.py accepts it)"} {
		if !strings.Contains(table, line) {
			t.Errorf("the table lacks %q", line)
		}
	}
	for _, format := range report.Formats {
		text, err := compared.Render(format)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(text, awsKey[4:]) || strings.Contains(text, "Tr0ub4dor3x") {
			t.Errorf("the %s report shows a secret", format)
		}
	}

	accepted, _ := kitPipeline(t, dir, func(o *pipeline.Options) { o.AllowSecrets = []string{"settings.py"} }).Compare(context.Background())
	table, _ = accepted.Render(report.FormatTable)
	if !accepted.OK || !strings.Contains(table, "1 accepted") ||
		accepted.Verdict() != "OK: every check expected to pass passed, and the one secret found was accepted with --allow-secrets." {
		t.Errorf("--allow-secrets settings.py: ok=%t, verdict %q\n%s", accepted.OK, accepted.Verdict(), table)
	}
}

// TestTheSampleAppCarriesNoSecret: the scan reads the sample app and what every build
// made of it, and finds nothing.
func TestTheSampleAppCarriesNoSecret(t *testing.T) {
	compared, _ := compareSample(t)
	for _, image := range compared.Images {
		if image.Secrets == nil || image.Secrets.Files == 0 || len(image.Secrets.Findings) != 0 {
			t.Errorf("%s: secret scan %+v, want files read and no finding", image.Variant, image.Secrets)
		}
		// The tutorial's image is the base and the app: the scan reads the app's few
		// files (and any the base's packages do not vouch for), not the base's hundreds.
		if image.Variant == recipe.VariantTutorial && image.Secrets != nil && image.Secrets.Files > 20 {
			t.Errorf("the scan read %d files of the tutorial's image: the base's files too", image.Secrets.Files)
		}
	}
	if !strings.HasSuffix(compared.Verdict(), ", and no secret was found.") {
		t.Errorf("verdict %q does not say the scan found nothing", compared.Verdict())
	}
}

// pipList is what pip list says of the distributions in site directories of image, as
// "name==version" with pip's normalized names. pip runs in the image (the base's pip:
// multi-stage's venv has none of its own); minimal has no pip and no shell, so the
// runtime base's pip reads minimal's files, mounted.
func pipList(t *testing.T, p *pipeline.Pipeline, variant string, sites []string) []string {
	t.Helper()
	ctx := context.Background()
	image, err := p.Build(ctx, variant)
	if err != nil {
		t.Fatal(err)
	}
	runner, root := image, ""
	if variant == recipe.VariantMinimal {
		root = "/tmp/minimal"
		runner = p.Options().RuntimeBase.WithMountedDirectory(root, image.Rootfs())
	}
	var listed []string
	for _, site := range sites {
		// The base's interpreter, which has pip: python:3.13-slim's, or the kit's Debian one.
		out, err := runner.
			WithEnvVariable("PIP_DISABLE_PIP_VERSION_CHECK", "1").
			WithEnvVariable("PIP_NO_CACHE_DIR", "1").
			WithExec([]string{"sh", "-c", `for python in /usr/local/bin/python3 /usr/bin/python3; do [ -x $python ] && exec $python -m pip "$@"; done; exit 127`,
				"sh", "list", "--format", "json", "--path", root + site}).
			Stdout(ctx)
		var exec *dagger.ExecError
		if errors.As(err, &exec) {
			t.Fatalf("pip list --path %s in %s: %s", site, variant, exec.Stderr)
		} else if err != nil {
			t.Fatal(err)
		}
		var dists []struct{ Name, Version string }
		if err := json.Unmarshal([]byte(out), &dists); err != nil {
			t.Fatalf("pip list: %v: %s", err, out)
		}
		for _, d := range dists {
			listed = append(listed, normalize(d.Name)+"=="+d.Version)
		}
	}
	slices.Sort(listed)
	return listed
}

var pep503 = regexp.MustCompile(`[-_.]+`)

func normalize(name string) string { return strings.ToLower(pep503.ReplaceAllString(name, "-")) }

func property(c cdx.Component, name string) string {
	if c.Properties != nil {
		for _, p := range *c.Properties {
			if p.Name == name {
				return p.Value
			}
		}
	}
	return ""
}

// TestEverySBOMIsValidCycloneDXAndListsWhatPipLists: for the sample app and every
// test project format, each variant's SBOM is valid CycloneDX 1.6 (the specification's
// schema); its Python components are exactly what pip list finds in the image, with
// pkg:pypi purls and, where the lock has them, the lock's hashes; its Debian
// components are what dpkg lists in the image, and for minimal only packages whose
// files it carries, with their bytes, all with their distribution; the interpreter is
// listed.
func TestEverySBOMIsValidCycloneDXAndListsWhatPipLists(t *testing.T) {
	testenv.Client(t)
	// The sample app, then every test project (its locks rendered from the kit's wheels).
	apps := []string{""}
	for _, tp := range testProjects {
		apps = append(apps, tp.dir)
	}
	ctx := context.Background()
	for _, app := range apps {
		name := app
		if name == "" {
			name = "sample-app"
		}
		t.Run(name, func(t *testing.T) {
			dir := sampleApp
			if app != "" {
				dir = projectDir(t, app)
			}
			p := kitPipeline(t, dir, nil)
			hashed := map[string]bool{}
			for _, r := range p.Recipes().Plan().Pinned {
				if len(r.Hashes) > 0 {
					hashed[normalize(r.Name)+"=="+r.Version] = true
				}
			}
			// The three lock formats carry hashes; their SBOMs must too.
			if locked := slices.Contains([]string{"uv-app", "poetry-app", "pipenv-app"}, app); locked != (len(hashed) > 0) {
				t.Errorf("%s: %d pins with hashes in the plan", name, len(hashed))
			}
			for _, variant := range recipe.Variants {
				t.Run(variant.Name, func(t *testing.T) {
					doc, err := p.SBOMOf(ctx, variant.Name)
					if err != nil {
						t.Fatal(err)
					}
					if err := schemas.CycloneDX(doc); err != nil {
						t.Fatal(err)
					}
					var bom cdx.BOM
					if err := cdx.NewBOMDecoder(bytes.NewReader(doc), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
						t.Fatal(err)
					}
					// debianInstalled: the base's packages, which dpkg knows in the image;
					// the others are native libraries carried from the builder.
					var python, debian, debianInstalled []string
					sites, interpreter := map[string]bool{}, ""
					for _, c := range *bom.Components {
						switch {
						case strings.HasPrefix(c.PackageURL, "pkg:pypi/"):
							id := normalize(c.Name) + "==" + c.Version
							python = append(python, id)
							if c.PackageURL != "pkg:pypi/"+normalize(c.Name)+"@"+c.Version {
								t.Errorf("purl %s for %s", c.PackageURL, id)
							}
							sites[path.Dir(property(c, "multistage:path"))] = true
							if hashed[id] && (c.Hashes == nil || len(*c.Hashes) == 0) {
								t.Errorf("%s is pinned with hashes in the lock, yet listed without", id)
							}
							if c.Hashes != nil && !hashed[id] {
								t.Errorf("%s is listed with hashes the lock does not give", id)
							}
						case strings.HasPrefix(c.PackageURL, "pkg:deb/debian/"):
							debian = append(debian, c.Name)
							if !strings.Contains(c.PackageURL, "&distro=debian-") {
								t.Errorf("%s names no distribution", c.PackageURL)
							}
							carried := property(c, "multistage:carriedFiles") != "" && property(c, "multistage:carriedBytes") != ""
							if variant.Name == recipe.VariantMinimal && !carried {
								t.Errorf("minimal lists %s without the files it carries of it", c.Name)
							}
							if !carried {
								debianInstalled = append(debianInstalled, c.Name)
							}
						case strings.HasPrefix(c.PackageURL, "pkg:generic/python@"):
							interpreter = c.Version
						}
					}
					if !strings.HasPrefix(interpreter, "3.") {
						t.Errorf("the interpreter is not listed")
					}
					// Every place pip would look, not only where the SBOM found something.
					minor := strings.Join(strings.Split(interpreter, ".")[:2], ".")
					for _, site := range []string{"/opt/venv/lib/python" + minor + "/site-packages", "/usr/local/lib/python" + minor + "/site-packages",
						"/usr/local/lib/python" + minor + "/dist-packages", "/usr/lib/python3/dist-packages"} {
						sites[site] = true
					}
					var siteList []string
					for s := range sites {
						if s != "." {
							siteList = append(siteList, s)
						}
					}
					slices.Sort(siteList)
					slices.Sort(python)
					if listed := pipList(t, p, variant.Name, siteList); !slices.Equal(python, listed) {
						t.Errorf("the SBOM's Python components differ from pip list's:\n sbom: %v\n pip:  %v", python, listed)
					}
					if variant.Name != recipe.VariantTutorial && len(python) < 2 {
						t.Errorf("only %v: the app's dependencies are missing", python)
					}
					if variant.Name == recipe.VariantMinimal {
						if !slices.Contains(debian, "libc6") {
							t.Errorf("minimal carries the C library, yet its SBOM lists %v", debian)
						}
					} else {
						image, err := p.Build(ctx, variant.Name)
						if err != nil {
							t.Fatal(err)
						}
						out, err := image.WithExec([]string{"dpkg-query", "-W", "-f", "${db:Status-Status} ${Package}\n"}).Stdout(ctx)
						if err != nil {
							t.Fatal(err)
						}
						var installed []string
						for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
							if status, name, _ := strings.Cut(line, " "); status == "installed" {
								installed = append(installed, name)
							}
						}
						slices.Sort(installed)
						slices.Sort(debianInstalled)
						if !slices.Equal(debianInstalled, installed) {
							t.Errorf("the SBOM's Debian packages differ from dpkg's:\n sbom:  %v\n dpkg:  %v", debianInstalled, installed)
						}
					}
					t.Logf("%s: %d Python, %d Debian components, python %s", variant.Name, len(python), len(debian), interpreter)
				})
			}
		})
	}
}
