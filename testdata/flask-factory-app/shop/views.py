from flask import Blueprint, current_app

bp = Blueprint("views", __name__)


@bp.route("/")
def hello():
    return current_app.config["GREETING"]
