# Finds the shared libraries that the venv's compiled code links and the runtime base
# lacks, and copies them out of the builder, so that the production image carries them.
# Usage: python native.py OUT RUNTIME_ROOT VENV EPOCH [LIB...]
#
# Runs in the builder, where `pip install` built or unpacked every extension module.
#  - Every ELF file under VENV (a regular file, not a link) is resolved by the dynamic
#    loader (ldd): the closure it lists is what that file needs at run time.
#  - LIB are libraries named by the user (ctypes loads them by name at run time, out of
#    the loader's sight): each is found by the builder's loader cache (ldconfig -p),
#    and its own closure comes too.
#  - A library counts as present in the runtime base when a file of its soname is in
#    one of the runtime root's library directories (its ld.so.conf and the default
#    ones), looked up inside RUNTIME_ROOT, links resolved within it.
#  - Each library to carry is copied to OUT/root at its path in the builder (its
#    directory's real path, so /lib/... lands in /usr/lib/... on a merged-/usr system),
#    a link as a link and its target too, dated EPOCH; dpkg names its package.
# Writes OUT/native.json: what each ELF file needs that is missing where, the carried
# libraries with package, version and bytes, and both bases' os-release.
import glob, json, os, re, shutil, subprocess, sys

from multistage_elf import is_elf, resolve

out, runtime_root, venv, epoch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
named = sys.argv[5:]
root = os.path.join(out, "root")
os.makedirs(root, exist_ok=True)


def ldd(path):
    """(soname, resolved path or None) for every library the loader lists for path."""
    return [(soname, lib) for soname, lib in resolve(path) if not soname.startswith("/")]


def inside(root_dir, path, depth=0):
    """path looked up inside root_dir, every link resolved within it; None if absent."""
    if depth > 40:
        return None
    current = root_dir
    parts = [p for p in path.split("/") if p]
    for i, part in enumerate(parts):
        candidate = os.path.join(current, part)
        if os.path.islink(candidate):
            target = os.readlink(candidate)
            rest = "/".join(parts[i + 1:])
            if target.startswith("/"):
                base = target
            else:
                base = os.path.join("/" + os.path.relpath(current, root_dir), target)
            return inside(root_dir, os.path.normpath(base + ("/" + rest if rest else "")), depth + 1)
        if not os.path.lexists(candidate):
            return None
        current = candidate
    return current


def library_dirs(root_dir):
    """The directories the runtime's loader searches: ld.so.conf (with includes), then the defaults."""
    dirs = []

    def read_conf(path):
        real = inside(root_dir, path)
        if not real or not os.path.isfile(real):
            return
        for line in open(real, errors="replace"):
            line = line.split("#", 1)[0].strip()
            if line.startswith("include "):
                for pattern in line.split()[1:]:
                    for conf in sorted(glob.glob(os.path.join(root_dir, pattern.lstrip("/")))):
                        read_conf("/" + os.path.relpath(conf, root_dir))
            elif line:
                dirs.append(line)

    read_conf("/etc/ld.so.conf")
    triplets = [os.path.basename(d) for d in glob.glob("/usr/lib/*-linux-gnu*")]
    for t in triplets:
        dirs += ["/lib/" + t, "/usr/lib/" + t]
    return dirs + ["/lib64", "/usr/lib64", "/lib", "/usr/lib"]


def os_release(root_dir):
    real = inside(root_dir, "/etc/os-release") or inside(root_dir, "/usr/lib/os-release")
    fields = {}
    if real:
        for line in open(real, errors="replace"):
            key, _, value = line.strip().partition("=")
            fields[key] = value.strip('"')
    return {"id": fields.get("ID", ""), "versionId": fields.get("VERSION_ID", ""), "pretty": fields.get("PRETTY_NAME", "")}


def builder_cache():
    """soname -> path, from the builder's loader cache."""
    result = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True)
    found = {}
    for line in result.stdout.splitlines():
        m = re.match(r"^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(/\S+)", line)
        if m and m.group(1) not in found:  # the first entry is the one the loader takes
            found[m.group(1)] = m.group(3)
    return found


def real_dir_path(path):
    return os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))


def copy_library(path, copied):
    """Copies path (a link as a link, and its target too) to root; returns the file's real path."""
    path = real_dir_path(path)
    if path in copied:
        return copied[path]
    target = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if os.path.islink(path):
        link = os.readlink(path)
        if not os.path.lexists(target):
            os.symlink(link, target)
        real = copy_library(link if link.startswith("/") else os.path.join(os.path.dirname(path), link), copied)
    else:
        if not os.path.lexists(target):
            shutil.copy2(path, target)
        real = path
    copied[path] = real
    return real


def packages_of(paths):
    """path -> (package, version) by dpkg; empty where dpkg is absent or owns no such path."""
    owners = {}
    if not paths or not shutil.which("dpkg-query"):
        return {}
    forms = {}
    for p in paths:
        forms[p] = [p]
        if p.startswith("/usr/lib/"):
            forms[p].append(p[len("/usr"):])
    query = sorted({f for fs in forms.values() for f in fs})
    result = subprocess.run(["dpkg-query", "-S"] + query, capture_output=True, text=True)
    by_form = {}
    for line in result.stdout.splitlines():
        pkg, _, owned = line.partition(": ")
        if owned and "," not in pkg and " " not in pkg:
            by_form[owned.strip()] = pkg.split(":")[0]
    names = set()
    for p, fs in forms.items():
        for f in fs:
            if f in by_form:
                owners[p] = by_form[f]
                names.add(by_form[f])
                break
    versions = {}
    if names:
        result = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\\n"] + sorted(names), capture_output=True, text=True)
        for line in result.stdout.splitlines():
            name, _, version = line.partition(" ")
            versions[name] = version
    return {p: (pkg, versions.get(pkg, "")) for p, pkg in owners.items()}


runtime_dirs = library_dirs(runtime_root)


def in_runtime(soname):
    return any(inside(runtime_root, d + "/" + soname) for d in runtime_dirs)


# 1. What every ELF file of the venv needs, and the libraries named by the user.
needs = {}  # who -> [(soname, path or None)]
for d, _, files in os.walk(venv):
    for f in files:
        path = os.path.join(d, f)
        if not os.path.islink(path) and is_elf(path):
            needs[os.path.relpath(path, venv)] = ldd(path)
cache = builder_cache()
unnamed = []
for lib in named:
    if lib in cache:
        needs["--runtime-lib " + lib] = [(lib, cache[lib])] + ldd(cache[lib])
    else:
        unnamed.append(lib)

# 2. What of it the runtime base lacks: carried if the builder has it, missing if not.
carry, missing = {}, []
for who, libs in sorted(needs.items()):
    for soname, path in libs:
        if in_runtime(soname):
            continue
        if path is None:
            missing.append({"neededBy": who, "soname": soname})
        else:
            carry.setdefault((soname, path), []).append(who)

# 3. Copy what is carried, name its package, and date the tree.
copied = {}
carried = []
for (soname, path), by in sorted(carry.items()):
    real = copy_library(path, copied)
    carried.append({"soname": soname, "path": real_dir_path(path), "file": real, "bytes": os.path.getsize(real), "neededBy": sorted(set(by))})
owners = packages_of(sorted({c["file"] for c in carried}))
for c in carried:
    c["package"], c["version"] = owners.get(c["file"], ("", ""))
for d, dirs, files in os.walk(root):
    for name in dirs + files:
        os.utime(os.path.join(d, name), (epoch, epoch), follow_symlinks=False)
os.utime(root, (epoch, epoch))

with open(os.path.join(out, "native.json"), "w") as f:
    json.dump({"carried": carried, "missing": missing, "unnamed": unnamed,
               "builder": os_release("/"), "runtime": os_release(runtime_root)}, f, indent=1, sort_keys=True)
