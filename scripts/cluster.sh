#!/bin/sh
# Try the scale-out setup on this machine: installs PostgreSQL and Redis from Debian's
# packages (when missing), starts a private PostgreSQL server and redis-server, then two
# nodes, each a gunicorn web server and a queue worker with its own instance folder and
# port, sharing the database (and the PostgreSQL search index), the queue and the upload
# folder; loads the demo and prints both URLs. Ctrl-C stops everything.
# `sh scripts/cluster.sh --keep DIR` keeps the data in DIR (default: a temporary folder).
set -eu
cd "$(dirname "$0")/.."
need=""
command -v redis-server >/dev/null || need="$need redis-server"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$need postgresql postgresql-contrib"
if [ -n "$need" ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need
    else
        echo "missing Debian packages:$need (run as root, or: sudo apt-get install$need)" >&2
        exit 1
    fi
fi
. scripts/venv.sh
make_venv requirements.txt
exec .venv/bin/python scripts/cluster.py "$@"
