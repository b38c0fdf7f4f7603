#!/bin/sh
# Remakes the shell completions and the man page in assets/ from the flags,
# with a built komunikator: the one given, else a debug build made here.
#
#   assets/generate.sh [PATH/TO/komunikator]
#
# tests/assets.rs fails when these files differ from what the binary prints.
set -eu
cd "$(dirname "$0")/.."
bin=${1:-}
if [ -z "$bin" ]; then
    cargo build --quiet --bin komunikator
    bin=${CARGO_TARGET_DIR:-target}/debug/komunikator
fi
"$bin" --completions bash >assets/completions/komunikator.bash
"$bin" --completions zsh >assets/completions/_komunikator
"$bin" --completions fish >assets/completions/komunikator.fish
"$bin" --man >assets/man/komunikator.1
echo "assets/ remade with $bin"
