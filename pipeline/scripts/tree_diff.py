# Walks two root filesystems in path order and prints the first few paths that differ
# ("PATH\tWHAT"): only in one, its type, mode, owner, content or time.
# Usage: python tree_diff.py FIRST SECOND
import hashlib, os, stat, sys
def walk(root):
    entries = {}
    for d, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(d, name)
            entries["/" + os.path.relpath(p, root)] = os.lstat(p)
    return entries
def digest(p):
    if os.path.islink(p):
        return os.readlink(p)
    with open(p, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()
a_root, b_root = sys.argv[1], sys.argv[2]
def difference(path):
    if path not in a or path not in b:
        return "only in the " + ("second" if path not in a else "first") + " build"
    x, y = a[path], b[path]
    if stat.S_IFMT(x.st_mode) != stat.S_IFMT(y.st_mode):
        return "type"
    if stat.S_IMODE(x.st_mode) != stat.S_IMODE(y.st_mode):
        return "mode"
    if (x.st_uid, x.st_gid) != (y.st_uid, y.st_gid):
        return "owner"
    if (stat.S_ISREG(x.st_mode) or stat.S_ISLNK(x.st_mode)) and digest(a_root + path) != digest(b_root + path):
        return "content"
    if int(x.st_mtime) != int(y.st_mtime):
        return "modification time"
a, b = walk(a_root), walk(b_root)
found = 0
for path in sorted(set(a) | set(b)):
    what = difference(path)
    if what:
        print(path + "\t" + what)
        found += 1
        if found == 4:
            break
