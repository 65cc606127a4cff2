# Reads, inside an image, what its software bill of materials and its secret scan need,
# and writes it as one JSON object to OUT.
# Usage: python -I inventory.py OUT APP
#  - "python": every Python distribution in the image (a *.dist-info or *.egg-info
#    directory in a site-packages or dist-packages directory anywhere), with its
#    name, version and where it is;
#  - "debian": the packages dpkg's status file says are installed (none on scratch);
#  - "os": /etc/os-release's ID and VERSION_ID, "interpreter": this Python's version;
#  - "scan": the text files (no NUL byte in their first 8 KiB, at most 1 MB) the
#    secret scan reads, with their content: every file of APP (the app as sent), and
#    of each venv and site-packages directory every file that no distribution's RECORD
#    vouches for with a matching hash, plus every file of a distribution installed from
#    a directory, a URL or version control (its direct_url.json): what the build made
#    rather than copied unchanged from a package index. Debian's own site directories
#    (under /usr/lib: dpkg's, the base's) are listed but not scanned. "as" is the path the rules
#    match: relative to APP, or to its site-packages directory.
import base64, hashlib, json, os, sys

out, app = sys.argv[1], sys.argv[2]
SKIP = {"/proc", "/sys", "/dev", "/tmp", "/run"}
MAX_BYTES = 1_000_000


def site_dirs():
    """Every site-packages/dist-packages directory of the image."""
    found = []
    for root, dirs, _ in os.walk("/"):
        if root in SKIP:
            dirs[:] = []
            continue
        dirs[:] = [d for d in dirs if os.path.join(root, d) not in SKIP and not os.path.islink(os.path.join(root, d))]
        if os.path.basename(root) in ("site-packages", "dist-packages"):
            found.append(root)
            dirs[:] = []
    return sorted(found)


def metadata(dist):
    """Name and version from METADATA (or PKG-INFO): the first headers."""
    name = version = ""
    for f in ("METADATA", "PKG-INFO"):
        path = os.path.join(dist, f)
        if os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as m:
                for line in m:
                    if not line.strip():
                        break
                    key, _, value = line.partition(":")
                    if key == "Name" and not name:
                        name = value.strip()
                    elif key == "Version" and not version:
                        version = value.strip()
            break
    return name, version


def text_of(path):
    try:
        if os.path.islink(path) or not os.path.isfile(path) or os.path.getsize(path) > MAX_BYTES:
            return None
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def record_hashes(site, dist):
    """path -> (algorithm, urlsafe-b64 digest) of a distribution's RECORD."""
    vouched = {}
    path = os.path.join(dist, "RECORD")
    if not os.path.isfile(path):
        return vouched
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.rstrip("\n").rsplit(",", 2)
            if len(parts) != 3 or "=" not in parts[1]:
                continue
            algorithm, _, digest = parts[1].partition("=")
            vouched[os.path.normpath(os.path.join(site, parts[0]))] = (algorithm, digest)
    return vouched


def matches(path, algorithm, digest):
    try:
        h = hashlib.new(algorithm)
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except (OSError, ValueError):
        return False
    return base64.urlsafe_b64encode(h.digest()).rstrip(b"=").decode() == digest


python, scan, seen = [], [], set()


def add_scan(path, shown_as):
    if path in seen:
        return
    seen.add(path)
    text = text_of(path)
    if text is not None:
        scan.append({"path": path, "as": shown_as, "text": text})


for root, dirs, files in os.walk(app):
    dirs.sort()
    for f in sorted(files):
        path = os.path.join(root, f)
        add_scan(path, os.path.relpath(path, app))

for site in site_dirs():
    vouched, local = {}, set()
    for entry in sorted(os.listdir(site)):
        dist = os.path.join(site, entry)
        if not entry.endswith((".dist-info", ".egg-info")) or not os.path.isdir(dist):
            continue
        name, version = metadata(dist)
        if name:
            python.append({"name": name, "version": version, "path": dist})
        vouched.update(record_hashes(site, dist))
        direct = os.path.join(dist, "direct_url.json")
        if os.path.isfile(direct):
            try:
                with open(direct) as f:
                    how = json.load(f)
            except ValueError:
                how = {}
            if "archive_info" not in how or how.get("url", "").startswith("file:"):
                local.update(p for p in record_hashes(site, dist))
    # Debian's own directories (/usr/lib/python3/dist-packages) hold what dpkg installed:
    # the base's files, never pip's (it installs under /usr/local or into a venv).
    if site.startswith("/usr/lib/"):
        continue
    # A venv's whole prefix is what the build made; elsewhere only the site directory.
    prefix = os.path.normpath(os.path.join(site, "..", "..", ".."))
    top = prefix if os.path.isfile(os.path.join(prefix, "pyvenv.cfg")) else site
    for root, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for f in sorted(files):
            path = os.path.normpath(os.path.join(root, f))
            known = vouched.get(path)
            if os.path.basename(path) == "RECORD" and root.endswith(".dist-info"):
                continue  # the hashes themselves
            if path in local or not known or not matches(path, *known):
                add_scan(path, os.path.relpath(path, site) if path.startswith(site + "/") else os.path.relpath(path, top))

debian, package = [], {}
for line in (open("/var/lib/dpkg/status", encoding="utf-8", errors="replace") if os.path.isfile("/var/lib/dpkg/status") else []):
    line = line.rstrip("\n")
    if not line:
        if package.get("Status", "").endswith(" installed"):
            debian.append({"name": package.get("Package", ""), "version": package.get("Version", ""),
                           "arch": package.get("Architecture", ""), "source": package.get("Source", "").split(" ")[0]})
        package = {}
    elif not line.startswith(" ") and ":" in line:
        key, _, value = line.partition(":")
        package[key] = value.strip()

if package.get("Status", "").endswith(" installed"):
    debian.append({"name": package.get("Package", ""), "version": package.get("Version", ""),
                   "arch": package.get("Architecture", ""), "source": package.get("Source", "").split(" ")[0]})

os_release = {}
if os.path.isfile("/etc/os-release"):
    for line in open("/etc/os-release"):
        key, _, value = line.strip().partition("=")
        os_release[key] = value.strip('"')

with open(out, "w") as f:
    f.write(json.dumps({"python": python, "debian": debian, "scan": scan,
                        "os": {"id": os_release.get("ID", ""), "versionId": os_release.get("VERSION_ID", "")},
                        "interpreter": "%d.%d.%d" % sys.version_info[:3]}))
