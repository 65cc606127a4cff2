# Dates a tree for a reproducible layer: python stamp.py ROOT EPOCH [SRC DEST]
#
# With SRC and DEST, first copies SRC to ROOT/DEST (links copied as links). Then gives
# ROOT and everything below it the time EPOCH, links included (their own time, not
# their target's: a venv's bin/python points at an interpreter outside the tree).
import os, shutil, sys

root, epoch = sys.argv[1], int(sys.argv[2])
if len(sys.argv) == 5:
    src, dest = sys.argv[3], os.path.join(root, sys.argv[4].lstrip("/"))
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.copytree(src, dest, symlinks=True)
paths = [root]
for d, dirs, files in os.walk(root):
    paths += [os.path.join(d, name) for name in dirs + files]
for path in paths:
    os.utime(path, (epoch, epoch), follow_symlinks=False)
