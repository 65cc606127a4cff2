# Runs the image's command for a few seconds and prints its last output lines, so a
# failed check can say why (a traceback, a bind error). Bounded by the given seconds.
# Exits 3 when the command was still running at the end of them, else 0.
import subprocess, sys

seconds, lines, command = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
try:
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=seconds)
    output, ending, status = done.stdout, "exited with code %d" % done.returncode, 0
except subprocess.TimeoutExpired as running:
    output, ending, status = running.stdout or b"", "still running after %.0fs" % seconds, 3
except OSError as err:
    output, ending, status = b"", "could not start: %s" % err, 0
text = output.decode("utf-8", "replace").splitlines()[-lines:]
print("\n".join(text + ["[" + " ".join(command) + " " + ending + "]"]))
sys.exit(status)
