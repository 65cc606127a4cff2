# Names the Debian packages whose files a root filesystem assembled from this container
# carries, by dpkg -S here, with how many of each package's files and bytes it carries.
# Usage: python carried.py OUT ROOT...
# A file of a ROOT is the file at the same path here (assemble.py copied it from there);
# on a merged-/usr system dpkg may know it by its other name (/usr/lib/x/libc.so.6 for
# /lib/x/libc.so.6 since Debian 13, the reverse before), so that name is asked too.
# Writes OUT: [{"name", "version", "arch", "files", "bytes"}], the files no package owns,
# and the builder's os-release ID and VERSION_ID.
import json, os, subprocess, sys

out, roots = sys.argv[1], sys.argv[2:]
sizes = {}
for root in roots:
    for d, _, files in os.walk(root):
        for f in files:
            path = os.path.join(d, f)
            if not os.path.islink(path):
                sizes["/" + os.path.relpath(path, root)] = os.path.getsize(path)


def owners(paths):
    """path -> package, from one dpkg -S over paths (dpkg prints 'pkg[:arch][, pkg]: path')."""
    found = {}
    if not paths:
        return found
    result = subprocess.run(["dpkg", "-S"] + paths, capture_output=True, text=True)
    for line in result.stdout.splitlines():
        pkgs, sep, path = line.partition(": ")
        if sep and not pkgs.startswith("diversion by"):
            found[path] = pkgs.split(",")[0].strip()
    return found


MERGED = ("/lib/", "/lib64/", "/bin/", "/sbin/")


def other_name(path):
    """The same file's name on the other side of the merged-/usr links."""
    if path.startswith(tuple("/usr" + d for d in MERGED)):
        return path[len("/usr"):]
    if path.startswith(MERGED):
        return "/usr" + path
    return None


owned = owners(sorted(sizes))
alias = {other_name(p): p for p in sizes if p not in owned and other_name(p)}
for name, pkg in owners(sorted(alias)).items():
    owned[alias[name]] = pkg

packages = {}
for path, size in sizes.items():
    pkg = owned.get(path)
    if pkg:
        entry = packages.setdefault(pkg.split(":")[0], {"files": 0, "bytes": 0})
        entry["files"] += 1
        entry["bytes"] += size
versions = {}
if packages:
    query = subprocess.run(["dpkg-query", "-W", "-f", "${Package}\t${Version}\t${Architecture}\n"] + sorted(packages),
                           capture_output=True, text=True)
    for line in query.stdout.splitlines():
        name, version, arch = (line.split("\t") + ["", ""])[:3]
        versions[name] = (version, arch)
result = [{"name": name, "version": versions.get(name, ("", ""))[0], "arch": versions.get(name, ("", ""))[1],
           "files": e["files"], "bytes": e["bytes"]} for name, e in sorted(packages.items())]
# The packages' distribution, for their purls: the builder's (the image has no os-release).
os_release = {}
if os.path.isfile("/etc/os-release"):
    for line in open("/etc/os-release"):
        key, _, value = line.strip().partition("=")
        os_release[key] = value.strip('"')
with open(out, "w") as f:
    json.dump({"packages": result, "unowned": sorted(p for p in sizes if p not in owned),
               "os": {"id": os_release.get("ID", ""), "versionId": os_release.get("VERSION_ID", "")}}, f)
