# Reads an image tarball (docker format) where the engine made it, so that its tens of
# megabytes are not sent to the client to be measured: prints one JSON object with the
# image's user and, per layer, its digest, diff ID, gzip size and what it holds (every
# tar entry; the unpacked stream's length); the tarball's own size; how many layers
# this reading had to unpack ("listed"); and how many of the image's first layers are
# the runtime base's own ("baseLayers", when the base's tarball is given).
# A layer's listing is kept in KEPT under its diff ID (the digest of its unpacked
# stream: the same diff ID holds the same files), so after an app edit only the new
# layer's bytes are read: the base's blobs are skipped, not even decompressed.
# argv: tarball, directory of kept listings (an engine cache volume), the file to write
# the reading to (else stdout), and the runtime base's tarball (optional: only its
# manifest and config are read). A file: the engine streams an exec's stdout to the
# client's progress output even when it is redirected, and a reading is megabytes.
import gzip, hashlib, json, os, posixpath, sys, tarfile


class Counting:
    """Counts the bytes read through it: the length of the unpacked layer."""

    def __init__(self, raw):
        self.raw, self.n = raw, 0

    def read(self, size=-1):
        data = self.raw.read(size)
        self.n += len(data)
        return data


def entry_name(name):
    # As the Go side names entries: cleaned, relative to /.
    return posixpath.normpath("/" + name.lstrip("/"))[1:]


def blocks(size):
    return (size + tarfile.BLOCKSIZE - 1) // tarfile.BLOCKSIZE * tarfile.BLOCKSIZE


def list_layer(blob):
    unpacked = Counting(gzip.GzipFile(fileobj=blob))
    files, starts = [], []
    with tarfile.open(fileobj=unpacked, mode="r|") as layer:
        for entry in layer:
            kind = entry.type
            if kind == tarfile.AREGTYPE:  # old regular-file flag, as Go's reader reports it
                kind = tarfile.REGTYPE
            item = {"n": entry_name(entry.name), "t": kind[0]}
            if entry.size:
                item["s"] = entry.size
            if entry.mode:
                item["m"] = entry.mode
            if entry.issym():  # on disk a link's size is its target's length: Docker counts it
                item["l"] = len(entry.linkname.encode())
                item["k"] = entry.linkname  # followed to find a carried library's file
            # The entry's bytes in the stream run from its first header (offset: a PAX or
            # GNU long-name header comes first) to the next entry's; kept as "b" only when
            # they are not one header block and the data's blocks.
            starts.append(entry.offset)
            end = entry.offset_data + (blocks(entry.size) if entry.isreg() else 0)
            item["_end"] = end
            files.append(item)
    for i, item in enumerate(files):
        end = item.pop("_end")
        span = (starts[i + 1] if i + 1 < len(files) else end) - starts[i]
        if span != tarfile.BLOCKSIZE + blocks(item.get("s", 0)):
            item["b"] = span
    while unpacked.read(1 << 20):  # the padding after the end-of-archive marker counts too
        pass
    return {"uncompressedBytes": unpacked.n, "files": files}


def blob_digest(image, member):
    algorithm, _, hex_digest = member.name.partition("blobs/")[2].partition("/")
    if algorithm and hex_digest:
        return algorithm + ":" + hex_digest
    return "sha256:" + hashlib.sha256(image.extractfile(member).read()).hexdigest()


def kept_listing(kept, diff_id, blob):
    """The listing kept for diff_id, else blob's, read now and kept."""
    path = os.path.join(kept, diff_id.replace(":", "-") + ".json")
    try:
        with open(path) as f:
            listing = json.load(f)
        if listing.get("uncompressedBytes"):
            return listing, False
    except (OSError, ValueError):
        pass  # not kept yet, or a torn write of an interrupted reading: read it again
    listing = list_layer(blob())
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(json.dumps(listing))
    os.replace(tmp, path)  # atomic: a reading beside this one sees all of it or nothing
    return listing, True


def read_config(image):
    manifest = json.load(image.extractfile("manifest.json"))[0]
    return manifest, json.load(image.extractfile(manifest["Config"]))


def base_layers(diff_ids, base_path):
    """How many of the image's first layers are the base's own layers, in order."""
    if not base_path:
        return 0
    with tarfile.open(base_path) as base:
        base_ids = read_config(base)[1]["rootfs"]["diff_ids"]
    n = 0
    while n < min(len(diff_ids), len(base_ids)) and diff_ids[n] == base_ids[n]:
        n += 1
    return n


def main(path, kept, out=None, base=None):
    listed = 0
    with tarfile.open(path) as image:
        manifest, config = read_config(image)
        diff_ids = config["rootfs"]["diff_ids"]
        if len(diff_ids) != len(manifest["Layers"]):
            sys.exit("the image has %d layers and %d diff IDs" % (len(manifest["Layers"]), len(diff_ids)))
        layers = []
        for blob, diff_id in zip(manifest["Layers"], diff_ids):
            member = image.getmember(blob)
            layer = {"digest": blob_digest(image, member), "diffID": diff_id, "compressedBytes": member.size}
            layer["listing"], read = kept_listing(kept, diff_id, lambda: image.extractfile(member))
            listed += read
            layers.append(layer)
    reading = {"tarballBytes": os.stat(path).st_size, "user": (config.get("config") or {}).get("User", ""),
               "layers": layers, "listed": listed, "baseLayers": base_layers(diff_ids, base)}
    # dumps, not dump: json.dump encodes piece by piece in Python, json.dumps in C (~5x faster here).
    text = json.dumps(reading)
    if out is None:
        sys.stdout.write(text)
    else:
        with open(out, "w") as f:
            f.write(text)


main(*sys.argv[1:5])
