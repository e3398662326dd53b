# Sourced by start.sh and test.sh: make .venv with the given requirements file.
# On Debian, `python3 -m venv` needs the python3-venv package; install it when we are root.
make_venv() {
    requirements=$1
    if [ ! -x .venv/bin/python ]; then
        if ! python3 -m venv .venv 2>/dev/null; then
            rm -rf .venv
            if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
                apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
                python3 -m venv .venv
            else
                echo "python3 -m venv failed: install python3-venv (apt-get install python3-venv)" >&2
                exit 1
            fi
        fi
    fi
    .venv/bin/python -m pip install -q --disable-pip-version-check -r "$requirements"
    # The interface's message catalogues: .po in the repository, .mo built here.
    .venv/bin/pybabel compile -d archive/translations
}
