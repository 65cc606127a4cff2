# No app at module level: only a factory, named by FLASK_APP in .flaskenv.
from flask import Flask


def make_app():
    app = Flask(__name__)

    @app.route("/")
    def hello():
        return "Hello from flaskenv-app!"

    return app
