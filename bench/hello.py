"""The ceiling every benchmark figure is divided by: a bare Flask app answering "hello",
served by the same gunicorn config as the portal (`gunicorn -c gunicorn.conf.py bench.hello:app`)."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"
