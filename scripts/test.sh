#!/usr/bin/env bash
# The whole test suite, from a fresh machine or a warm one:
#   1. create (or reuse) the Python virtualenv with real torch from PyPI,
#   2. cargo fmt --check, clippy -D warnings, cargo test,
#   3. the Python tests (capture, Python writer),
#   4. the end-to-end corpus: re-capture every program in traces/programs with
#      PyTorch, require the same recording as the golden trace (byte-identical
#      on the goldens' machine; elsewhere the same events with values within
#      assert_close tolerance, see scripts/recording_diff.py), then replay
#      every golden trace on the FrankenTorch runtime and require a match.
#
# The virtualenv lives outside the clone (default ~/.cache/ft-trace) keyed by
# the hash of scripts/requirements.txt, so a changed pin builds a new one.
# Override with FT_VENV=/path. Set FT_SKIP_CORPUS=1 to skip step 4.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

step() { printf '\n==> %s\n' "$*"; }

requirements=scripts/requirements.txt
req_hash=$(sha256sum "$requirements" | cut -c1-12)
venv=${FT_VENV:-"${XDG_CACHE_HOME:-$HOME/.cache}/ft-trace/venv-$req_hash"}

ensure_venv() {
    if [ -x "$venv/bin/python" ] && [ -f "$venv/.ft-ready" ]; then
        echo "reusing $venv"
        return
    fi
    step "creating Python virtualenv in $venv"
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    touch "$venv/.ft-ready"
}

step "Python environment"
ensure_venv
python="$venv/bin/python"
"$python" -c 'import torch, numpy, msgpack, blake3; print("torch", torch.__version__)'

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

# The inspector's end-to-end test drives the real binary in tmux.
if ! command -v tmux >/dev/null 2>&1; then
    step "installing tmux (the inspector's terminal end-to-end test)"
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y -qq tmux >/dev/null || { apt-get update -qq && apt-get install -y -qq tmux >/dev/null; }
    else
        sudo apt-get install -y -qq tmux >/dev/null || { sudo apt-get update -qq && sudo apt-get install -y -qq tmux >/dev/null; }
    fi
fi
export FT_REQUIRE_TMUX=1

step "cargo test"
cargo test --workspace --locked

# The Phase-2C packet artifacts: files, mandatory fields, gates against the
# generated reports, freshness against the goldens, sidecars decode. Exit 0
# only when every packet is READY or listed (with its reason) in
# artifacts/phase2c/expected_not_ready.json. After re-capturing goldens:
# cargo run --release -p ft-replay -- parity-report --all
step "Phase-2C packet artifacts"
cargo run --release --locked -q -p ft-replay --bin validate_phase2c_artifacts

# A bounded fuzz run of the trace reader/verifier, of sidecar repair, of
# the checkpoint readers (torch_load) and
# of the diff on mutated goldens (fuzz/, outside the workspace). Needs a
# nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`); skipped
# without them. FT_FUZZ_SECONDS per
# target (default 20; 0 skips).
fuzz_seconds=${FT_FUZZ_SECONDS:-20}
if [ "$fuzz_seconds" != 0 ] && cargo +nightly fuzz --version >/dev/null 2>&1; then
    step "fuzz: reader, repair, diff and torch_load, ${fuzz_seconds}s each"
    fuzz_corpus=$(mktemp -d)
    fuzz_tmp=$(mktemp -d)
    cp traces/diamond.torch.ftr traces/tiny_mlp.torch.ftr traces/leaf_root.torch.ftr "$fuzz_corpus/"
    fuzz_run() {
        local name=$1
        shift
        if (cd fuzz && TMPDIR="$fuzz_tmp" cargo +nightly fuzz run "$name" "$@") \
            >"$fuzz_tmp/$name.log" 2>&1; then
            echo "fuzz $name: $(grep -E '^Done ' "$fuzz_tmp/$name.log" || echo done)"
        else
            tail -n 80 "$fuzz_tmp/$name.log"
            echo "FAIL fuzz $name (the crashing input is under fuzz/artifacts/$name/)"
            exit 1
        fi
    }
    fuzz_run reader "$fuzz_corpus" -- -max_total_time="$fuzz_seconds" -max_len=65536 -rss_limit_mb=2048
    fuzz_run repair -- -max_total_time="$fuzz_seconds"
    fuzz_run diff -- -max_total_time="$fuzz_seconds" -rss_limit_mb=2048
    fuzz_run torch_load -- -max_total_time="$fuzz_seconds" -max_len=8192 -rss_limit_mb=2048
    rm -rf "$fuzz_corpus" "$fuzz_tmp"
else
    echo "fuzz: skipped (needs a nightly toolchain and cargo-fuzz, or FT_FUZZ_SECONDS=0)"
fi

# The capture writes its traces with the compiled writer (crate tracer/ffi,
# loaded with ctypes; scripts/ft_capture/native_writer.py) when this
# checkout has built it, else with the pure-Python writer; both write the
# same bytes. Here it must be used: every capture below goes through it, and
# scripts/tests/test_native_writer.py compares it with the Python writer.
step "the capture's compiled trace writer"
cargo build --release --locked -p ft-trace-ffi
export FT_CAPTURE_WRITER=native FT_REQUIRE_NATIVE_WRITER=1

step "Python tests"
"$python" -m ruff check --no-cache scripts
"$python" -m mypy --config-file scripts/mypy.ini
FT_PYTHON="$python" "$python" -m pytest -q scripts/tests

if [ "${FT_SKIP_CORPUS:-0}" = 1 ]; then
    echo "FT_SKIP_CORPUS=1: corpus skipped"
    exit 0
fi

step "corpus: capture with PyTorch, compare with goldens, replay on the runtime"
cargo build --release --locked -p ft-replay
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
# One program: re-capture, compare with its golden, replay free-running and
# anchored. Prints its own report; exits 1 on any failure.
corpus_one() {
    local program=$1 name golden fresh expected values got why
    name=$(basename "$program" .py)
    golden="traces/$name.torch.ftr"
    fresh="$scratch/$name.torch.ftr"
    # A program that raises on purpose says so (`# capture-exit: 3`): its
    # capture exits 3 with a finished trace ending in program_error.
    expected=0
    if grep -qx '# capture-exit: 3' "$program"; then expected=3; fi
    # A program may name its value policy (`# capture-values: stats`).
    values=$(sed -n 's/^# capture-values: //p' "$program")
    got=0
    "$python" scripts/capture_torch.py "$program" -o "$fresh" --zero-timestamps --values "${values:-all}" || got=$?
    if [ "$got" != "$expected" ]; then
        echo "FAIL $name: capture exited $got, expected $expected"
        return 1
    fi
    local ok=0
    if cmp -s "$fresh" "$golden"; then
        echo "ok   $name: re-capture is byte-identical to $golden"
    elif why=$("$python" scripts/recording_diff.py --machine-only "$fresh" "$golden"); then
        # Another kind of CPU (META says which), every value the same.
        echo "ok   $name: re-capture is byte-identical to $golden but for META's machine attributes ($why)"
    elif why=$("$python" scripts/recording_diff.py "$fresh" "$golden"); then
        # Same events; float values moved within assert_close tolerance
        # (PyTorch's CPU kernels round differently on different CPUs).
        echo "ok   $name: re-capture records the same run as $golden (values within tolerance)"
    elif grep -q '^# cpu-dependent-values: ' "$program" \
        && why=$("$python" scripts/recording_diff.py --structure-only "$fresh" "$golden"); then
        # Values this CPU moves beyond any tolerance (the program says why):
        # the same events, and this CPU's values are checked by replaying
        # the re-capture on the runtime.
        if target/release/ft-replay --against "$fresh" --anchor >"$scratch/$name.fresh.txt"; then
            echo "ok   $name: re-capture records the same events as $golden; its own values replay anchored"
        else
            cat "$scratch/$name.fresh.txt"
            echo "FAIL $name: anchored replay of this CPU's re-capture diverged"
            ok=1
        fi
    else
        echo "FAIL $name: $why (run scripts/update_goldens.sh if the change is intended)"
        return 1
    fi
    rm -f "$fresh"
    if ! target/release/ft-replay --against "$golden" --out "$scratch/$name.ft.ftr"; then
        echo "FAIL $name: replay of $golden diverged"
        ok=1
    fi
    rm -f "$scratch/$name.ft.ftr"
    if ! target/release/ft-replay --against "$golden" --anchor >"$scratch/$name.anchored.txt"; then
        cat "$scratch/$name.anchored.txt"
        echo "FAIL $name: anchored replay of $golden diverged"
        ok=1
    fi
    return $ok
}
# The programs run FT_CORPUS_JOBS at a time (default: one per core); each
# report is printed whole, in the programs' order.
export -f corpus_one
export python scratch
jobs=${FT_CORPUS_JOBS:-$(nproc)}
printf '%s\n' traces/programs/*.py | xargs -P "$jobs" -I{} bash -c \
    'name=$(basename "$1" .py); if corpus_one "$1" >"$scratch/$name.log" 2>&1; then : >"$scratch/$name.ok"; fi' _ {} || true
for program in traces/programs/*.py; do
    name=$(basename "$program" .py)
    cat "$scratch/$name.log" 2>/dev/null || echo "FAIL $name: the corpus run left no report"
    [ -f "$scratch/$name.ok" ] || status=1
done

step "native programs: runtime/examples/native_*.rs against their PyTorch twins"
cargo build --release --locked -p ft-runtime --example native_mlp --example native_cnn \
    --example native_gpt --example native_finetune
for name in native_mlp native_cnn native_gpt native_finetune; do
    golden="traces/$name.torch.ftr"
    if ! target/release/examples/$name --out "$scratch/$name.native.ftr" --random-from "$golden" \
        || ! target/release/ft-replay "$scratch/$name.native.ftr" --against "$golden"; then
        echo "FAIL $name: the native program's trace diverged from $golden"
        status=1
    fi
done

step "long run: 200 training steps replayed anchored and free-running"
long="$scratch/mlp_long.torch.ftr"
FT_STEPS=200 "$python" scripts/capture_torch.py bench/programs/mlp_long.py -o "$long" --values all
if ! target/release/ft-replay --against "$long" --anchor; then
    echo "FAIL mlp_long: the anchored replay of 200 steps did not match"
    status=1
fi
# Free running, float drift grows over 200 steps; it is accepted (exit 0)
# only when the anchored re-check finds every operator right.
got=0
target/release/ft-replay --against "$long" >"$scratch/free.txt" || got=$?
tail -3 "$scratch/free.txt"
if [ "$got" != 0 ]; then
    echo "FAIL mlp_long: free-running replay exited $got"
    status=1
fi
rm -f "$long"
exit $status
