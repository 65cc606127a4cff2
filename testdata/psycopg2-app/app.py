import psycopg2
from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    # __libpq_version__ comes from the compiled module: libpq was loaded.
    return "psycopg2 %s with libpq %d" % (psycopg2.__version__.split()[0], psycopg2.__libpq_version__)


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
