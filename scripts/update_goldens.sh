#!/usr/bin/env bash
# Re-captures every corpus program in traces/programs with PyTorch and
# overwrites the golden traces traces/NAME.torch.ftr. Run after an intended
# change to the capture; review and commit the result.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
req_hash=$(sha256sum scripts/requirements.txt | cut -c1-12)
venv=${FT_VENV:-"${XDG_CACHE_HOME:-$HOME/.cache}/ft-trace/venv-$req_hash"}
if [ ! -x "$venv/bin/python" ]; then
    echo "no virtualenv at $venv: run scripts/test.sh once (it creates it)" >&2
    exit 2
fi
for program in traces/programs/*.py; do
    name=$(basename "$program" .py)
    # A program that raises on purpose (`# capture-exit: 3`) exits 3.
    expected=0
    if grep -qx '# capture-exit: 3' "$program"; then expected=3; fi
    # A program may name its value policy (`# capture-values: stats`).
    values=$(sed -n 's/^# capture-values: //p' "$program")
    got=0
    "$venv/bin/python" scripts/capture_torch.py "$program" -o "traces/$name.torch.ftr" --zero-timestamps --values "${values:-all}" || got=$?
    if [ "$got" != "$expected" ]; then
        echo "capture of $program exited $got, expected $expected" >&2
        exit 1
    fi
    echo "wrote traces/$name.torch.ftr"
done
