package recipe

import (
	_ "embed"
	"strings"

	"github.com/multistage/multistage/pipeline/scripts"
)

// stopOnSigterm is the launcher a production image runs a Python script with, so that
// SIGTERM stops it (scripts/stop_on_sigterm.py says why). It travels inside the venv.
var stopOnSigterm = scripts.Source("stop_on_sigterm.py")

// launcherPath is where the launcher lies in the venv (so it crosses with it).
const launcherPath = VenvPath + "/bin/multistage-stop-on-sigterm.py"

// productionCommand is the plan's start command as a production image runs it: a
// `python script.py` goes through the launcher; servers such as gunicorn and uvicorn
// handle SIGTERM themselves and run as they are, in exec form (no shell in between).
func (r *Recipes) productionCommand() []string {
	cmd := r.opts.Command
	if len(cmd) >= 2 && cmd[0] == "python" && strings.HasSuffix(cmd[1], ".py") {
		return append([]string{"python", launcherPath}, cmd[1:]...)
	}
	return cmd
}
