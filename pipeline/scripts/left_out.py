# Counts the files and bytes of two trees: the app as given, and as sent.
# Usage: python left_out.py GIVEN SENT
