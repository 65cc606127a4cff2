# Assembles the minimal image's root filesystem from the builder, as two trees that
# become two layers: OUT/base (what any app on this Python needs) and OUT/venv (the
# app's dependencies, and the libraries they link beyond the base tree). The app is a
# third layer of its own, placed by the recipe: an app edit changes only that layer,
# whatever the dependencies weigh.
# Usage: python assemble.py OUT VENV UID [--lib=SONAME...] KEEP...
#   KEEP: stdlib modules to keep despite pruning; --lib: libraries the app loads by name
#   at run time (ctypes), which no ELF file links: they come with their closure too.
#
# What goes in, and why:
#  - the interpreter, at the same path (the venv links to it);
#  - the standard library, pruned by the static rule below (a server never needs them);
#  - the venv without pip (the venv tree);
#  - every shared library that the interpreter and each kept extension module link
#    against: the dependency closure the dynamic loader resolves (ldd), not a list; a
#    library the loader cannot find stops the assembly, naming it (never a silent skip:
#    a package may fall back to pure Python without it, as PyYAML does without libyaml);
#    the base tree's go with it, the venv's with the venv (but for those the base has);
#  - CA certificates, time-zone data, and passwd/group entries for root and the app user.
import os, re, shutil, subprocess, sys, sysconfig

from multistage_elf import is_elf, resolve

out, venv, uid = sys.argv[1], sys.argv[2], int(sys.argv[3])
named_libs = [a[len("--lib="):] for a in sys.argv[4:] if a.startswith("--lib=")]
keep = {a for a in sys.argv[4:] if not a.startswith("--lib=")}
base_tree, venv_tree = os.path.join(out, "base"), os.path.join(out, "venv")

# The static pruning rule: groups of standard-library modules a web server does not
# need, matched by top-level name in the stdlib and in lib-dynload. Naming any member
# (or the group) in KEEP keeps the whole group, since its members need each other.
PRUNED_GROUPS = {
    "tests": ["test", "tests", "unittest", "doctest", "_ctypes_test", "__phello__"],  # and TEST_MODULES below
    "idle-tk": ["idlelib", "tkinter", "_tkinter", "turtle", "turtledemo"],
    "terminal": ["curses", "_curses", "_curses_panel", "readline", "_pyrepl", "pdb", "pydoc", "pydoc_data"],
    "packaging": ["ensurepip", "venv", "lib2to3", "site-packages", "dist-packages"],
    "dbm": ["dbm", "_dbm", "_gdbm"],
    "pure-python-fallbacks": ["_pydecimal", "_pyio", "_pydatetime"],
    "cjk-codecs": ["_multibytecodec", "_codecs_cn", "_codecs_hk", "_codecs_iso2022", "_codecs_jp", "_codecs_kr",
                   "_codecs_tw", "encodings/big5", "encodings/big5hkscs", "encodings/cp932", "encodings/cp949",
                   "encodings/cp950", "encodings/euc_jis_2004", "encodings/euc_jisx0213", "encodings/euc_jp",
                   "encodings/euc_kr", "encodings/gb18030", "encodings/gb2312", "encodings/gbk", "encodings/hz",
                   "encodings/iso2022_jp", "encodings/iso2022_jp_1", "encodings/iso2022_jp_2", "encodings/iso2022_jp_2004",
                   "encodings/iso2022_jp_3", "encodings/iso2022_jp_ext", "encodings/iso2022_kr", "encodings/johab",
                   "encodings/shift_jis", "encodings/shift_jis_2004", "encodings/shift_jisx0213"],
}
PRUNED_PATTERNS = [re.compile(r"^config-\d")]  # static libpython and Makefile, for building C extensions
# CPython's test extension modules, by their naming rule rather than a list: every
# release adds some (_testlimitedcapi, _testclinic_limited in 3.13).
TEST_MODULES = re.compile(r"^(lib-dynload/)?(_test[a-z0-9_]*|_xx[a-z0-9_]*|xx[a-z0-9_]*)(\.|$)")

pruned_names, pruned_groups = set(), set()
for group, members in PRUNED_GROUPS.items():
    if group in keep or keep.intersection(m.split("/")[-1] for m in members) or keep.intersection(members):
        continue
    if group == "tests" and any(TEST_MODULES.match(k) for k in keep):
        continue
    pruned_names.update(members)
    pruned_groups.add(group)

def module_name(relpath):
    """stdlib-relative path -> module-ish name: 'encodings/cp932.py' -> 'encodings/cp932'."""
    name = relpath[len("lib-dynload/"):] if relpath.startswith("lib-dynload/") else relpath
    name = name[:-3] if name.endswith(".py") else name
    return name.split(".")[0] if "/" not in name else name

def pruned(relpath):
    if module_name(relpath) in pruned_names or any(p.match(relpath) for p in PRUNED_PATTERNS):
        return True
    return "tests" in pruned_groups and TEST_MODULES.match(relpath) is not None

def dest(path, tree=None):
    return os.path.join(tree or base_tree, path.lstrip("/"))

def copy_file(path, tree=None):
    """Copies path (a link stays a link, and its target comes too, if there is one: a
    link that leads nowhere stays such a link) into tree (the base's by default)."""
    target = dest(path, tree)
    if os.path.lexists(target) or os.path.lexists(dest(path)):  # the base tree's serves every tree
        return
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if os.path.islink(path):
        link = os.readlink(path)
        os.symlink(link, target)
        linked = os.path.join(os.path.dirname(path), link) if not link.startswith("/") else link
        if os.path.lexists(linked):
            copy_file(linked, tree)
    else:
        shutil.copy2(path, target)

def copy_tree(root, skip=None, tree=None):
    """Copies the tree at root, but for __pycache__ and what skip(relative path) refuses."""
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        rel = "" if rel == "." else rel + "/"
        dirnames[:] = [d for d in dirnames if d != "__pycache__" and not (skip and skip(rel + d))]
        os.makedirs(dest(dirpath, tree), exist_ok=True)
        for f in filenames:
            if not (skip and skip(rel + f)):
                copy_file(os.path.join(dirpath, f), tree)

def linked_libraries(path, shown):
    """The libraries the dynamic loader resolves for path, and the loader itself; stops
    with one line if it cannot find one (shown is path as the message names it)."""
    libs = []
    for soname, lib in resolve(path):
        if lib is None:
            sys.exit("%s needs %s: not in the builder base: add the package that has it to the builder base" % (shown, soname))
        libs.append(lib)
    return libs


def cached_library(soname):
    """The path the builder's loader cache gives soname, or a one-line stop."""
    for line in subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout.splitlines():
        m = re.match(r"^\s*(\S+)\s+\([^)]*\)\s+=>\s+(/\S+)", line)
        if m and m.group(1) == soname:
            return m.group(2)
    sys.exit("runtime library %s is not known to the builder base's loader (ldconfig -p): install its package in the builder base" % soname)

# 1. The interpreter, and the standard library minus what the rule prunes.
interpreter = os.path.realpath(sys.executable)
copy_file(interpreter)
stdlib = sysconfig.get_paths()["stdlib"]
platstdlib = sysconfig.get_paths()["platstdlib"]
copy_tree(stdlib, skip=pruned)
dynload = os.path.join(platstdlib, "lib-dynload")
if os.path.isdir(dynload):  # inside the stdlib for official images, beside it for Debian's
    copy_tree(dynload, skip=lambda rel: pruned(rel))

# 2. The venv without pip, in a tree of its own.
copy_tree(venv, tree=venv_tree)
for pip_dir in ("pip", "setuptools", "_distutils_hack"):
    for site in [os.path.join(venv, "lib", d, "site-packages") for d in os.listdir(os.path.join(venv, "lib"))]:
        shutil.rmtree(dest(os.path.join(site, pip_dir), venv_tree), ignore_errors=True)
for f in os.listdir(dest(os.path.join(venv, "bin"), venv_tree)):
    if f.startswith(("pip", "activate", "Activate")):
        os.remove(os.path.join(dest(os.path.join(venv, "bin"), venv_tree), f))

# 3. The shared-library closure of every ELF file of each tree, and of the named
#    libraries: the base tree's first, so that the venv tree gets only what it adds.
def close(tree, pending):
    seen = set()
    while pending:
        path = pending.pop()
        real = path[len(tree):] if path.startswith(tree + "/") else path
        if real in seen or os.path.islink(path) or not is_elf(path):
            continue
        seen.add(real)
        shown = real.split("site-packages/", 1)[1] if "site-packages/" in real else real
        for lib in linked_libraries(real, shown):
            if not os.path.lexists(dest(lib)) and not os.path.lexists(dest(lib, tree)):
                copy_file(lib, tree)
                pending.append(os.path.realpath(lib))
    return len(seen)

elf_files = close(base_tree, [os.path.join(d, f) for d, _, fs in os.walk(base_tree) for f in fs])
named = []
for soname in named_libs:
    lib = cached_library(soname)
    if not os.path.lexists(dest(lib)):
        copy_file(lib, venv_tree)
    named.append(os.path.realpath(lib))
elf_files += close(venv_tree, [os.path.join(d, f) for d, _, fs in os.walk(venv_tree) for f in fs] + named)

# 4. Certificates, time zones, users, and a writable /tmp.
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
if os.path.exists(CA_BUNDLE):
    copy_file(CA_BUNDLE)
if os.path.isdir("/usr/share/zoneinfo"):
    copy_tree("/usr/share/zoneinfo")
os.makedirs(dest("/etc"), exist_ok=True)
with open(dest("/etc/passwd"), "w") as f:
    f.write("root:x:0:0:root:/root:/usr/sbin/nologin\napp:x:%d:%d:app:/nonexistent:/usr/sbin/nologin\n" % (uid, uid))
with open(dest("/etc/group"), "w") as f:
    f.write("root:x:0:\napp:x:%d:\n" % uid)
os.makedirs(dest("/tmp"), exist_ok=True)
os.chmod(dest("/tmp"), 0o1777)
print("minimal root: %d ELF files, interpreter %s" % (elf_files, interpreter))
