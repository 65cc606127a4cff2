# Lists the libraries that compiled modules of this Python's site-packages (and of the
# directories given, such as a venv) need and the dynamic loader cannot find in this
# image: one line each, "FILE<TAB>SONAME", FILE relative to its site-packages (else to
# the directory given). Prints nothing when every library resolves.
# Usage: python linkcheck.py [DIR...]   (run by the image's own python)
#
# The loader itself answers (ldd where the image has it, else the loader's --list):
# this is the resolution the app's import will meet.
import os, site, sys, sysconfig

from multistage_elf import is_elf, loader_command, resolve

dirs = {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
dirs.update(site.getsitepackages())
dirs.update(sys.argv[1:])
command = loader_command()
if command is None:
    sys.exit("linkcheck: no ldd and no dynamic loader in this image")


seen = set()
for top in sorted(d for d in dirs if os.path.isdir(d)):
    for d, _, files in os.walk(top):
        for f in sorted(files):
            path = os.path.join(d, f)
            real = os.path.realpath(path)
            if real in seen or os.path.islink(path) or not is_elf(path):
                continue
            seen.add(real)
            for soname, lib in resolve(path, command):
                if lib is None:
                    shown = path.split("site-packages/", 1)[1] if "site-packages/" in path else os.path.relpath(path, top)
                    print("%s\t%s" % (shown, soname))
