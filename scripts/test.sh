#!/bin/sh
# Install everything the tests use (Debian packages: chromium for browser tests,
# poppler-utils for the reference tool in benchmarks, Tesseract with its English, Russian
# and Azerbaijani data for text recognition; Python packages into .venv) and run
# the whole test suite. Extra arguments go to pytest.
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
exec .venv/bin/python -m pytest "$@"
