// Package crosscheck holds only tests: they compare package secrets with gitleaks'
// own detect package. They live here, in a package nothing imports, so that gitleaks
// stays a dependency of these tests alone: no build of the CLI or the module
// compiles or downloads it.
package crosscheck
