#!/bin/sh
# Install Workshop Archive into .venv and start it (web server + ingest worker) with a demo
# event, on embedded defaults: SQLite, local files, Whoosh. Prints the URL and demo sign-in.
set -eu
cd "$(dirname "$0")/.."
# Text recognition (OCR) of scans and photos of slides needs Tesseract; install it when we
# can (as root), and otherwise say that OCR stays off rather than fail.
if ! command -v tesseract >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            tesseract-ocr tesseract-ocr-eng tesseract-ocr-rus tesseract-ocr-aze ||
            echo "could not install Tesseract: text recognition (OCR) is off" >&2
    fi
fi
if ! command -v tesseract >/dev/null; then
    echo "Tesseract is not installed: text recognition (OCR) is off" >&2
    export ARCHIVE_OCR="${ARCHIVE_OCR:-off}"
fi
. scripts/venv.sh
make_venv requirements.txt
export FLASK_APP=archive
.venv/bin/flask db upgrade
.venv/bin/flask demo
exec .venv/bin/flask serve "$@"
