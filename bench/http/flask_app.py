# Flask + Flask-Session (filesystem store), the same two routes as bench/http/server.ts.
# Run by bench/http/run.ts under gunicorn (Debian's python3-flask, python3-flask-session, gunicorn):
#   SESSION_DIR=/tmp/x BENCH_SECRET=... gunicorn -b 127.0.0.1:PORT -k gthread -w 2 --threads 4 flask_app:app
import os

from flask import Flask, session
from flask_session import Session

app = Flask(__name__)
app.config.update(
    SECRET_KEY=os.environ.get("BENCH_SECRET", "bench-only-secret-0123456789abcdef"),
    SESSION_TYPE="filesystem",
    SESSION_FILE_DIR=os.environ["SESSION_DIR"],
    SESSION_USE_SIGNER=True,
    SESSION_PERMANENT=True,
    PERMANENT_SESSION_LIFETIME=12 * 60 * 60,
)
Session(app)


@app.get("/inc")
def inc():
    n = session.get("counter", 0) + 1
    session["counter"] = n
    return str(n), 200, {"content-type": "text/plain; charset=utf-8"}


@app.get("/count")
def count():
    return str(session.get("counter", 0)), 200, {"content-type": "text/plain; charset=utf-8"}
