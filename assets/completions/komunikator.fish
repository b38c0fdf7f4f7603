complete -c komunikator -s s -l server -d 'MQTT broker: a host name, host:port, or a URL mqtt://host:port or mqtts://host:port (TLS); several (comma-separated or repeated) are tried in order when one cannot be reached [default: localhost]' -r
complete -c komunikator -s p -l port -d 'MQTT broker port [default: 1883, or 8883 with TLS]' -r
complete -c komunikator -s r -l room -d 'Room to join (repeatable); the first is the active one [default: general]' -r
complete -c komunikator -l ca-file -d 'Trust only this CA (PEM file) for the broker\'s certificate, e.g. a private CA' -r -F
complete -c komunikator -l cert -d 'Client certificate (PEM) for mutual TLS; needs --key' -r -F
complete -c komunikator -l key -d 'Private key (PEM) of the client certificate' -r -F
complete -c komunikator -l user -d 'Log in to the broker with this name; the password comes from KOMUNIKATOR_PASSWORD, --password-file, or a prompt' -r
complete -c komunikator -l password-file -d 'Read the broker password from the first line of this file' -r -F
complete -c komunikator -l password -d 'Refused on purpose: a password in the arguments shows in the process list. Taken as any value (dropped unseen) so that no parse error can echo it' -r
complete -c komunikator -l config -d 'Read this config file instead of ~/.config/komunikator/config.toml' -r -F
complete -c komunikator -l bind -d 'With --serve: the address to listen on [default: every interface]' -r
complete -c komunikator -l print-history -d 'Print the stored history of ROOM (@NAME: a direct conversation), oldest first, and exit (--json: one object per message)' -r
complete -c komunikator -l search -d 'Print the stored messages with every word of TEXT (in the rooms given with -r, default every room), newest first, and exit' -r
complete -c komunikator -l limit -d 'With --print-history or --search: at most this many messages [default: 100]' -r
complete -c komunikator -l qos -d 'MQTT quality of service for chat messages: 0, 1 or 2 [default: 1]' -r
complete -c komunikator -l keep-alive -d 'Seconds between keep-alive pings; a dead link is noticed within about twice this [default: 30]' -r
complete -c komunikator -l drain-timeout -d 'When quitting, how long to wait for unsent messages while the broker cannot be reached (the clock restarts whenever one is acknowledged); 0 = do not wait [default: 10]' -r
complete -c komunikator -l topic-prefix -d 'Put every topic under this prefix (e.g. "acme/"), so several chat networks can share a broker' -r
complete -c komunikator -l heartbeat -d 'Seconds between presence heartbeats: others see your "last seen" at most this early after a lost connection, and drop you this long times 2.5 after the heartbeats stop [default: 60]' -r
complete -c komunikator -l auto-away -d 'Mark yourself away after this many minutes without typing (the next key brings you back); 0 = never [default: 0]' -r
complete -c komunikator -l mqtt -d 'MQTT version: auto (5, and 3.1.1 with a broker that refuses 5), 5, or 3.1.1 [default: auto]' -r
complete -c komunikator -l will-delay -d 'MQTT 5: seconds the broker holds back your "lost the connection" after a drop; reconnecting sooner never shows you offline [default: 5]' -r
complete -c komunikator -l session-expiry -d 'MQTT 5: seconds the broker keeps your subscriptions while you are disconnected, so what was said meanwhile arrives when you are back [default: 3600]' -r
complete -c komunikator -l scrollback -d 'Messages kept per room in the full-screen UI [default: 10000]' -r
complete -c komunikator -l history-days -d 'Stored messages older than this many days are deleted; 0 = kept for ever [default: 365]' -r
complete -c komunikator -l history-size -d 'The local history is kept under this many MiB, the oldest messages going first; 0 = no bound [default: 1024]' -r
complete -c komunikator -l log-file -d 'Write the log here [default: ~/.local/state/komunikator/komunikator.log]; level from RUST_LOG' -r -F
complete -c komunikator -l notify -d 'Desktop notifications on mentions and direct messages, through the terminal: osc9, osc777 or off [default: off]' -r
complete -c komunikator -l theme -d 'Colours for a dark or a light terminal background; auto reads COLORFGBG and falls back to dark [default: auto]' -r
complete -c komunikator -l time-format -d 'How the times beside messages show: a strftime format at most 12 columns wide, e.g. "%H:%M:%S" or "%I:%M %p" [default: %H:%M]' -r
complete -c komunikator -l completions -d 'Print the completion script for SHELL and exit (see assets/completions/)' -r -f -a "bash\t''
elvish\t''
fish\t''
powershell\t''
zsh\t''"
complete -c komunikator -l no-tui -d 'Line mode: read lines from stdin, print one line per event (no full-screen UI)'
complete -c komunikator -l json -d 'In line mode, print each event as one JSON object per line (implies --no-tui)'
complete -c komunikator -l tls -d 'Connect with TLS (trusting the system\'s CAs unless --ca-file is given)'
complete -c komunikator -l no-tls -d 'Connect without TLS, even if the config file turns it on'
complete -c komunikator -l print-config -d 'Print the effective settings (flags, environment, config file, defaults) and exit'
complete -c komunikator -l serve -d 'Host the chat: run an MQTT broker inside komunikator on -p PORT and join it; others connect with -s'
complete -c komunikator -l keep-history -d 'Run a history keeper only, no chat: keep the rooms given with -r (default: every room) and answer late joiners\' history requests'
complete -c komunikator -l no-bell -d 'Ring no terminal bell when someone mentions your name or writes to you directly [default: it rings]'
complete -c komunikator -l no-history -d 'Keep no local history: conversations are not stored on disk, and what is stored stays [default: kept]'
complete -c komunikator -l no-keeper -d 'With --serve: run no history keeper beside the broker (late joiners then see no backlog) [default: a keeper runs]'
complete -c komunikator -l man -d 'Print the man page (roff) and exit'
complete -c komunikator -s h -l help -d 'Print help (see more with \'--help\')'
complete -c komunikator -s V -l version -d 'Print version'
