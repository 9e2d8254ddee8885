"""The WSGI entry point: gunicorn wsgi:app (after `flask --app wsgi db upgrade`)."""
from portal import create_app

app = create_app()
