# What the helpers that read ELF files share: telling an ELF file, and asking the
# dynamic loader what it resolves for one. Imported by assemble.py, native.py and
# linkcheck.py, which run from this directory (so Python finds it beside them).
import glob, re, shutil, subprocess

FOUND = re.compile(r"^\s*(\S+)\s+=>\s+(/\S+)\s+\(0x")
MISSING = re.compile(r"^\s*(\S+)\s+=>\s+not found")
LOADER = re.compile(r"^\s*(/\S+)\s+\(0x")


def is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def loader_command():
    """ldd where the image has it (a shell script), else the loader's own --list."""
    ldd = shutil.which("ldd")
    if ldd:
        return [ldd]
    loaders = sorted(glob.glob("/lib64/ld-linux*.so*") + glob.glob("/lib/ld-linux*.so*") + glob.glob("/lib/*/ld-linux*.so*"))
    return [loaders[0], "--list"] if loaders else None


def resolve(path, command=("ldd",)):
    """(soname, path or None) for every library the loader lists for path, and
    (path, path) for the loader itself."""
    result = subprocess.run(list(command) + [path], capture_output=True, text=True)
    needs = []
    for line in result.stdout.splitlines():
        found, missing, loader = FOUND.match(line), MISSING.match(line), LOADER.match(line)
        if found:
            needs.append((found.group(1), found.group(2)))
        elif missing:
            needs.append((missing.group(1), None))
        elif loader:
            needs.append((loader.group(1), loader.group(1)))
    return needs
