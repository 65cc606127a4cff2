# A test app: answers only if MarkupSafe's compiled extension loads, so that a
# minimal image missing a shared library the extension links against fails its check.
from flask import Flask
from markupsafe import _speedups

app = Flask(__name__)

@app.route("/")
def speedups():
    return "speedups: " + _speedups.escape("<ok>")

if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
