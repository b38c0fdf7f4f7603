#!/usr/bin/env bash
# Makes assets/screenshot.png (and assets/screenshot.txt, the same screen as
# plain text): alice, bob and carol chat through a private mosquitto, and
# alice's terminal is captured and drawn as an image.
#
# Needs: mosquitto, tmux, python3 with Pillow (`pip install pillow`) and the
# DejaVu Sans Mono font (Debian: `fonts-dejavu-core`; see `fc-list`);
# emoji are drawn where `fonts-noto-color-emoji` is installed.
# Not run by CI.
#
# Usage, from a checkout:
#   cargo build --release && assets/screenshot.sh
#   assets/screenshot.sh path/to/komunikator     # any other build
# SHOT_PORT and SHOT_TMUX_SOCKET choose the broker port (default: a free
# one on 127.0.0.1) and the tmux server socket name.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=${1:-${CARGO_TARGET_DIR:-$root/target}/release/komunikator}
if [ ! -x "$bin" ]; then
    echo "no komunikator binary at $bin: run 'cargo build --release' or pass its path" >&2
    exit 1
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[ -x "$mosquitto" ] || { echo "mosquitto is not installed" >&2; exit 1; }
command -v tmux >/dev/null || { echo "tmux is not installed" >&2; exit 1; }
python3 -c 'import PIL' 2>/dev/null || { echo "Pillow is missing: pip install pillow" >&2; exit 1; }

cols=100
rows=24
port=${SHOT_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
sock=${SHOT_TMUX_SOCKET:-komunikator-shot-$$}
work=$(mktemp -d)
broker_pid=

cleanup() {
    # The clients first, and gone before the broker: one still quitting
    # would otherwise reconnect to the next run's broker on this port.
    local pids
    pids=$(tmux -L "$sock" list-panes -a -F '#{pane_pid}' 2>/dev/null || true)
    tmux -L "$sock" kill-server 2>/dev/null || true
    for pid in $pids; do
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    done
    if [ -n "$broker_pid" ]; then
        kill "$broker_pid" 2>/dev/null || true
        wait "$broker_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$port" >"$work/mosquitto.conf"
"$mosquitto" -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
broker_pid=$!
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
# Not some other broker already on that port: ours must be the one listening.
if ! kill -0 "$broker_pid" 2>/dev/null; then
    echo "mosquitto did not start on 127.0.0.1:$port:" >&2
    cat "$work/mosquitto.log" >&2
    exit 1
fi

# Each person in a tmux session of its own, with a home of its own (keys,
# history, config), and nothing from this shell's environment.
start() {
    local name=$1
    shift
    mkdir -p "$work/$name"
    tmux -L "$sock" new-session -d -s "$name" -x "$cols" -y "$rows" \
        env -i PATH="$PATH" HOME="$work/$name" TERM=xterm-256color LANG=C.UTF-8 TZ=UTC \
        XDG_DATA_HOME="$work/$name/data" XDG_CONFIG_HOME="$work/$name/config" XDG_STATE_HOME="$work/$name/state" \
        "$bin" -s 127.0.0.1 -p "$port" "$@" "$name"
}

screen() {
    tmux -L "$sock" capture-pane -p -t "$1" 2>/dev/null
}

# Waits until $1's screen shows $2.
wait_for() {
    for _ in $(seq 100); do
        screen "$1" | grep -qF -- "$2" && return 0
        sleep 0.1
    done
    echo "$1's screen never showed: $2" >&2
    screen "$1" >&2
    exit 1
}

say() {
    tmux -L "$sock" send-keys -t "$1" -l -- "$2"
    tmux -L "$sock" send-keys -t "$1" Enter
    sleep 0.3
}

start alice -r general -r rust
start bob -r general -r rust
start carol -r general
for name in alice bob carol; do
    wait_for "$name" "connected to 127.0.0.1:$port"
done
wait_for alice "● carol"

say alice "/topic Release 1.4 on Friday: freeze at noon, notes in the wiki"
wait_for bob "alice set the topic"
say bob "Morning! Is the build green today?"
say carol "It is, after the fix to the flaky test. alice, can you tag it?"
say bob "/me brings coffee ☕"
say alice "On it: changelog first, then the tag."
say bob "The packaging job takes about twenty minutes, so the artifacts should be up well before lunch."
say alice "Tagging v1.4 now"
say bob "/msg alice the release notes look great, thanks!"
say carol "/away lunch, back at 2"
wait_for alice "carol is away"
say bob "/join rust"
say bob "anyone tried the new borrow checker errors?"
wait_for alice "Tagging v1.4 now"
# Something half typed, as a screen in use has.
tmux -L "$sock" send-keys -t alice -l -- "thanks bob, the notes took a while"
sleep 1

mkdir -p "$here"
tmux -L "$sock" capture-pane -p -e -t alice >"$work/alice.ansi"
screen alice >"$here/screenshot.txt"
python3 "$here/ansi_to_png.py" "$work/alice.ansi" "$here/screenshot.png" --cols "$cols" --rows "$rows"
echo "wrote $here/screenshot.png and $here/screenshot.txt"
