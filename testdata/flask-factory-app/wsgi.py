# What the server imports: Flask's discovery looks in wsgi.py first and finds `app`;
# multistage runs `gunicorn wsgi:app`.
from shop import create_app

app = create_app()
