# A Flask app served by gunicorn: multistage finds `app` and runs `gunicorn app:app`,
# which binds 0.0.0.0:$PORT by itself.
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "Hello from flask-gunicorn-app!"
