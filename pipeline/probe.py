# The service check's client: request / until the expected answer or the deadline.
# Run inside a probe container bound to the app's service. Prints one JSON line.
import json, sys, time, urllib.error, urllib.request

url, expected, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
start = time.monotonic()
deadline = start + timeout
attempts, wrong_answers = 0, 0
result = {"passed": False, "status": 0, "body": "", "error": ""}

while True:
    attempts += 1
    remaining = deadline - time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=max(0.2, min(3.0, remaining))) as answer:
            result.update(status=answer.status, body=answer.read(4096).decode("utf-8", "replace"), error="")
    except urllib.error.HTTPError as err:
        result.update(status=err.code, body=err.read(4096).decode("utf-8", "replace"), error="")
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
    if time.monotonic() + 0.2 >= deadline:
        if not result["error"] and not result["status"]:
            result["error"] = "no answer"
        result["error"] = "no good answer within %.0fs (%s)" % (timeout, result["error"] or "wrong answer")
        break
    time.sleep(0.2)

result["attempts"] = attempts
result["seconds"] = round(time.monotonic() - start, 3)
print(json.dumps(result))
