package main

import (
	"context"
	"fmt"
	"os"

	"github.com/multistage/multistage/pipeline/kit"
)

// KitCmd makes the offline kit.
type KitCmd struct {
	Dir    string   `required:"" env:"MULTISTAGE_KIT_DIR" help:"Directory for builder.tar, runtime.tar and wheels/ (and a cache)."`
	Suite  string   `default:"trixie" env:"MULTISTAGE_KIT_SUITE" help:"Debian release of the bases (trixie has Python 3.13)."`
	Python string   `default:"3.13" env:"MULTISTAGE_KIT_PYTHON" help:"Python version the suite carries; names the pushed tags."`
	Mirror string   `env:"MULTISTAGE_KIT_MIRROR" help:"Debian mirror URL (when empty: mmdebstrap's default for the bases, this machine's apt sources for --sdist)."`
	With   []string `env:"MULTISTAGE_KIT_WITH" sep:"," placeholder:"python3-NAME" help:"More Debian packages whose Python distributions (and their dependencies') become wheels, e.g. your app's dependencies."`
	Sdist  []string `env:"MULTISTAGE_KIT_SDIST" sep:"," placeholder:"SOURCE" help:"Debian source packages (psycopg2, pyyaml) whose upstream releases go beside the wheels as source distributions, as on PyPI."`
	Push   string   `env:"MULTISTAGE_KIT_PUSH" placeholder:"HOST:PORT" help:"Also push the bases to this registry (plain HTTP) as library/python:<v> and library/python:<v>-slim."`

	SystemLinked bool `name:"system-linked" env:"MULTISTAGE_KIT_SYSTEM_LINKED" help:"Leave the wheels' compiled extensions linked to the system's libraries instead of carrying them in the wheel (as PyPI's manylinux wheels do)."`
}

// Run makes the kit and says where its parts are.
func (k *KitCmd) Run(ctx context.Context) error {
	result, err := kit.Make(ctx, kit.Options{
		Dir: k.Dir, Suite: k.Suite, PythonVersion: k.Python, Mirror: k.Mirror, With: k.With, Sdists: k.Sdist,
		SystemLinked: k.SystemLinked, Push: k.Push,
		Log: func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) },
	})
	if err != nil {
		return err
	}
	fmt.Printf("builder base: %s\nruntime base: %s\nwheels:       %s (%d)\n", result.Builder, result.Runtime, result.Wheels, len(result.WheelFiles))
	for _, sdist := range result.SdistFiles {
		fmt.Println("sdist:       ", sdist)
	}
	for _, ref := range result.Pushed {
		fmt.Println("pushed:      ", ref)
	}
	return nil
}
