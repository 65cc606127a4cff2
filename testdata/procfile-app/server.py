# Started by the Procfile's web line (gunicorn on server:application).
from flask import Flask

application = Flask(__name__)


@application.route("/")
def hello():
    return "Hello from procfile-app!"
