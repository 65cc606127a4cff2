# Runs a Python script as the image's PID 1 so that SIGTERM stops it.
#
# The kernel delivers no signal to a namespace's PID 1 that it has no handler for, so a
# plain `python app.py` ignores `docker stop` and is killed after the grace period
# (10 s). The image config cannot carry a stop signal here (Dagger has no STOPSIGNAL),
# and the minimal image has no shell for an init script: this launcher turns SIGTERM
# into KeyboardInterrupt, which Flask's and most servers' loops end on, then runs the
# script as `python script.py args...` would (same __main__, same sys.path[0]).
import os
import runpy
import signal
import sys


def _stop(signum, frame):
    raise KeyboardInterrupt


signal.signal(signal.SIGTERM, _stop)
script = sys.argv[1]
sys.argv = sys.argv[1:]
sys.path[0] = os.path.dirname(os.path.abspath(script))
try:
    runpy.run_path(script, run_name="__main__")
except KeyboardInterrupt:
    sys.exit(0)
