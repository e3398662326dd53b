#!/bin/sh
# Install Workshop Archive into .venv and start it (web server + ingest worker) with a demo
# event, on embedded defaults: SQLite, local files, Whoosh. Prints the URL and demo sign-in.
set -eu
cd "$(dirname "$0")/.."
. scripts/venv.sh
make_venv requirements.txt
export FLASK_APP=archive
.venv/bin/flask db upgrade
.venv/bin/flask demo
exec .venv/bin/flask serve "$@"
