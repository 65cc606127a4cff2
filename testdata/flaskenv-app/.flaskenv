# Read by `flask run` (with python-dotenv) and by multistage: the app is made by
# hello.make_app(), so gunicorn is given hello:make_app().
FLASK_APP=hello:make_app
