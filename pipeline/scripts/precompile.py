# Writes the bytecode of what the installed requirements import, standard library
# included, at build time. The runtime base ships no bytecode (like the official
# images) and the app runs as a user who cannot write it, so without this every start
# compiles the same modules again (~0.3 s for Flask here). Importing the packages,
# not running the app: the app's own code is never executed at build time.
import importlib, importlib.metadata, signal, sys

signal.alarm(120)  # a package that hangs on import must not hang the build
for name in sorted(importlib.metadata.packages_distributions()):
    if name.startswith("_"):
        continue
    try:
        importlib.import_module(name)
    except BaseException as err:  # optional extras, missing system libraries: skip
        print("precompile: skipped %s (%s: %s)" % (name, type(err).__name__, err), file=sys.stderr)
