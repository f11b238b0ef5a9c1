#!/bin/sh
# Run citeqa's test suite on a fresh clone: installs what the tests need, then pytest.
#   - Debian packages: chromium + fonts-noto-cjk (browser tests render Chinese)
#   - the package and its test extras into .venv (torch pinned to the local CPU wheel)
set -eu
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "noto.*cjk"; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
if ! .venv/bin/python -c "import citeqa, pytest, playwright, reportlab, pymilvus, milvus_lite" 2>/dev/null; then
    .venv/bin/pip install -q -e '.[test]'
fi

export GRADIO_ANALYTICS_ENABLED=False HF_HUB_OFFLINE=1
exec .venv/bin/python -m pytest "$@"
