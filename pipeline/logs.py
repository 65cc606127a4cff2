# Runs the image's command for a few seconds and prints its last output lines, so a
# failed check can say why (a traceback, a bind error). Bounded by the given seconds.
import subprocess, sys

seconds, lines, command = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
try:
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=seconds)
    output, ending = done.stdout, "exited with code %d" % done.returncode
except subprocess.TimeoutExpired as running:
    output, ending = running.stdout or b"", "still running after %.0fs" % seconds
except OSError as err:
    output, ending = b"", "could not start: %s" % err
text = output.decode("utf-8", "replace").splitlines()[-lines:]
print("\n".join(text + ["[" + " ".join(command) + " " + ending + "]"]))
