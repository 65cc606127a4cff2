# uvicorn and no gunicorn among the requirements: multistage runs
# `uvicorn mysite.asgi:application`, the ASGI app startproject made.
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
application = get_asgi_application()
