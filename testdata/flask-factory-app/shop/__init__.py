# An application factory, the form Flask's tutorial teaches: create_app() makes and
# configures the app; wsgi.py calls it once, and gunicorn serves the result.
from flask import Flask


def create_app(test_config=None):
    app = Flask(__name__)
    app.config.from_mapping(GREETING="Hello from flask-factory-app!")
    if test_config is not None:
        app.config.update(test_config)

    from . import views

    app.register_blueprint(views.bp)
    return app
