import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
application = get_wsgi_application()
# Import every view now: with `serve --production` (gunicorn --preload) this runs once in the
# master, so no worker's first request spends 0.8 s loading the URLconf.
get_resolver().url_patterns  # noqa: B018 - the attribute access is the import
