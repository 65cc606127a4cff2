# Lists the libraries that compiled modules of this Python's site-packages (and of the
# directories given, such as a venv) need and the dynamic loader cannot find in this
# image: one line each, "FILE<TAB>SONAME", FILE relative to its site-packages (else to
# the directory given). Prints nothing when every library resolves.
# Usage: python linkcheck.py [DIR...]   (run by the image's own python)
#
# The loader itself answers (ldd where the image has it, else the loader's --list):
# this is the resolution the app's import will meet.
import glob, os, re, shutil, site, subprocess, sys, sysconfig

dirs = {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
dirs.update(site.getsitepackages())
dirs.update(sys.argv[1:])
ldd = shutil.which("ldd")
loaders = sorted(glob.glob("/lib64/ld-linux*.so*") + glob.glob("/lib/ld-linux*.so*") + glob.glob("/lib/*/ld-linux*.so*"))
command = [ldd] if ldd else [loaders[0], "--list"] if loaders else None
if command is None:
    sys.exit("linkcheck: no ldd and no dynamic loader in this image")
missing = re.compile(r"^\s*(\S+)\s+=>\s+not found")


def is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


seen = set()
for top in sorted(d for d in dirs if os.path.isdir(d)):
    for d, _, files in os.walk(top):
        for f in sorted(files):
            path = os.path.join(d, f)
            real = os.path.realpath(path)
            if real in seen or os.path.islink(path) or not is_elf(path):
                continue
            seen.add(real)
            result = subprocess.run(command + [path], capture_output=True, text=True)
            for line in result.stdout.splitlines():
                m = missing.match(line)
                if m:
                    shown = path.split("site-packages/", 1)[1] if "site-packages/" in path else os.path.relpath(path, top)
                    print("%s\t%s" % (shown, m.group(1)))
