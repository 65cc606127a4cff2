// Package crosscheck holds only tests, in a Go module of their own (run them here with
// `go test ./...`): they compare package secrets with gitleaks' own detect package.
// gitleaks stays a dependency of these tests alone: the CLI and the module neither
// compile nor download it.
package crosscheck
