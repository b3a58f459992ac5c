"""The ceiling for bench/load.py: a bare Flask route served by the same gunicorn set-up."""

from flask import Flask

app = Flask(__name__)
PAGE = "<!doctype html><title>bare</title>" + "<p>ceiling</p>" * 130  # about 2 KB


@app.get("/bare")
def bare():
    return PAGE
