import yaml
from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    # The C loader, used: it exists only when the compiled module loaded libyaml.
    loaded = yaml.load("answer: 42", Loader=yaml.CSafeLoader) if yaml.__with_libyaml__ else None
    return "libyaml=%s %s" % (yaml.__with_libyaml__, loaded)


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
