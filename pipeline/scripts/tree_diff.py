# Walks two root filesystems in path order and prints the first few paths that differ
# ("PATH\tWHAT"): only in one, its type, mode, owner, content or time.
# Usage: python tree_diff.py FIRST SECOND
