# Counts the files and bytes of two trees: the app as given, and as sent.
# Usage: python left_out.py GIVEN SENT
import os, sys
def count(root):
    n = size = 0
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            if os.path.isfile(p) and not os.path.islink(p):
                n += 1; size += os.path.getsize(p)
    return n, size
a, b = count(sys.argv[1]), count(sys.argv[2])
print(a[0] - b[0], a[1] - b[1])
