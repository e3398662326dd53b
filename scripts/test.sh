#!/bin/sh
# Install everything the tests use (Debian packages: chromium for browser tests,
# poppler-utils for the reference tool in benchmarks, redis-server and postgresql for the
# queue, the database and the search backend, Tesseract with its English, Russian and
# Azerbaijani data for text recognition; Python packages into .venv) and run the whole
# test suite twice: on SQLite, then on PostgreSQL (the tests that touch a database; the
# tests start a throwaway PostgreSQL server of their own). Each session runs in two worker
# processes (pytest-xdist; a test file stays in one worker, so its module fixtures are made
# once). Extra arguments go to pytest (`-n 0`: one process).
set -eu
cd "$(dirname "$0")/.."
need=""
[ -x /usr/bin/chromium ] || need="$need chromium"
command -v pdftotext >/dev/null || need="$need poppler-utils"
command -v redis-server >/dev/null || need="$need redis-server"
command -v tesseract >/dev/null || need="$need tesseract-ocr"
for lang in eng rus aze; do
    [ -n "$(ls /usr/share/tesseract-ocr/*/tessdata/$lang.traineddata 2>/dev/null)" ] ||
        need="$need tesseract-ocr-$lang"
done
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
make_venv requirements-dev.txt
status=0
echo "== the test suite on SQLite (search: Whoosh; full-text tests: both backends)"
.venv/bin/python -m pytest -n 2 --dist loadfile "$@" || status=$?
echo "== the database tests on PostgreSQL (search: PostgreSQL)"
ARCHIVE_TEST_DATABASE=postgresql .venv/bin/python -m pytest -n 2 --dist loadfile "$@" || status=$?
exit $status
