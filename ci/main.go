// Command multistage is the local front of the pipeline: the same builds, checks and
// report as the Dagger module, from a shell or any CI, through the dagger.io/dagger client.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"
	"github.com/multistage/multistage/pipeline"
	"github.com/multistage/multistage/pipeline/recipe"
)

// CLI is the command line: one field per command.
type CLI struct {
	Compare CompareCmd `cmd:"" help:"Build every variant, check each on its port, and report sizes side by side."`
	Build   BuildCmd   `cmd:"" help:"Build one variant, optionally exporting it as an image tarball."`
	Check   CheckCmd   `cmd:"" help:"Build one variant and check that it serves the expected answer."`
	Kit     KitCmd     `cmd:"" help:"Make the offline kit (base images and wheels) from Debian's package archive."`
	Bench   BenchCmd   `cmd:"" help:"Time the pipeline against podman building the same recipes: cold, warm, after an app.py edit."`
}

// Exit codes: 0 all good, 1 a check or budget failed, 2 usage or environment error.
const (
	exitFailed = 1
	exitUsage  = 2
)

// errChecksFailed marks a run that worked but whose checks or budgets did not all pass.
var errChecksFailed = errors.New("the run failed")

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	cli := &CLI{}
	parser, err := newParser(cli)
	if err != nil {
		fmt.Fprintln(os.Stderr, "multistage:", err)
		return exitUsage
	}
	kctx, err := parser.Parse(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "multistage: %v (see --help)\n", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	kctx.BindTo(ctx, (*context.Context)(nil))
	err = kctx.Run()
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errChecksFailed):
		fmt.Fprintln(os.Stderr, "multistage:", err)
		return exitFailed
	default:
		fmt.Fprintln(os.Stderr, "multistage:", err)
		return exitUsage
	}
}

func newParser(cli *CLI) (*kong.Kong, error) {
	return kong.New(cli,
		kong.Name("multistage"),
		kong.Vars{
			"python":   recipe.DefaultPythonVersion,
			"port":     strconv.Itoa(recipe.DefaultPort),
			"timeout":  pipeline.DefaultCheckTimeout.String(),
			"variants": strings.Join(recipe.VariantNames(), ","),
		},
		kong.Description("Containerize a Python web app single-stage and multi-stage, prove each image serves, and compare their sizes."),
	)
}
