# The service check's client: GET the path until the expected answer or the deadline.
# Run inside a probe container bound to the app's service; prints one JSON line.
# Plain sockets and HTTP/1.0 (a complete body, never chunked) instead of urllib:
# with no bytecode in the base, importing urllib costs ~0.15 s of CPU per check.
import json, socket, sys, time

host, port, path, expected, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5])
start = time.monotonic()
deadline = start + timeout
attempts, wrong_answers = 0, 0
result = {"passed": False, "status": 0, "body": "", "error": ""}


def get(seconds):
    """One request: (status, body), or an exception when there is no HTTP answer."""
    with socket.create_connection((host, port), timeout=seconds) as conn:
        conn.sendall(("GET %s HTTP/1.0\r\nHost: %s:%d\r\nConnection: close\r\n\r\n" % (path, host, port)).encode())
        data = b""
        while len(data) < 65536:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split()
    if len(status_line) < 2 or not status_line[0].startswith(b"HTTP/") or not status_line[1].isdigit():
        raise ValueError("not an HTTP answer: %r" % data[:80])
    return int(status_line[1]), body[:4096].decode("utf-8", "replace")


while True:
    attempts += 1
    remaining = deadline - time.monotonic()
    try:
        status, body = get(max(0.2, min(3.0, remaining)))
        result.update(status=status, body=body, error="")
    except Exception as err:  # not listening yet, reset, timeout: try again
        result.update(status=0, body="", error="%s: %s" % (type(err).__name__, err))
    if result["status"] == 200 and result["body"] == expected:
        result["passed"] = True
        break
    if result["status"]:
        # An app that answers wrongly will not change its mind: stop after a few tries.
        wrong_answers += 1
        if wrong_answers >= 3:
            break
    if time.monotonic() + 0.05 >= deadline:
        if not result["error"] and not result["status"]:
            result["error"] = "no answer"
        result["error"] = "no good answer within %.0fs (%s)" % (timeout, result["error"] or "wrong answer")
        break
    time.sleep(0.05)

result["attempts"] = attempts
result["seconds"] = round(time.monotonic() - start, 3)
print(json.dumps(result))
