//! The runs that do not chat: a headless history keeper, and printing the
//! local history or a search of it for scripts.

use std::io::Write;

use crate::app::Record;
use crate::history_store::{default_path, kept};
use crate::keeper::{self, KeeperConfig};
use crate::line::Formatter;
use crate::settings::{Mode, Server, Settings, Task};

/// Runs `settings.task`; the exit status. `None`: the task is to chat.
pub fn run(settings: &Settings) -> Option<i32> {
    match &settings.task {
        Task::Chat => None,
        Task::KeepHistory { rooms } => Some(keep_history(settings, rooms.clone())),
        Task::PrintHistory { room, limit } => Some(print(settings, |store| store.recent(room, *limit))),
        Task::Search { text, rooms, limit } => Some(print(settings, |store| {
            let mut hits = Vec::new();
            match rooms {
                None => hits = store.search(text, None, *limit)?,
                Some(rooms) => {
                    for room in rooms {
                        hits.extend(store.search(text, Some(room), *limit)?);
                    }
                    hits.sort_by_key(|h| std::cmp::Reverse(h.ts_ms));
                    hits.truncate(*limit);
                }
            }
            Ok(hits)
        })),
    }
}

/// The keeper a host runs beside its broker (`--serve`), unless `--no-keeper`.
pub fn keeper_for(settings: &Settings, listen: std::net::SocketAddr) -> KeeperConfig {
    let server = Server {
        host: crate::settings::local_address(listen).ip().to_string(),
        port: listen.port(),
    };
    KeeperConfig {
        // Named as komunikator-broker names it: one archive per broker.
        archive: keeper::default_archive(&server.to_string()),
        server,
        topic_prefix: settings.topic_prefix.clone(),
        rooms: None,
        login: None,
    }
}

/// `--keep-history`: a keeper and nothing else, until SIGINT or SIGTERM.
fn keep_history(settings: &Settings, rooms: Option<Vec<String>>) -> i32 {
    let server = Server {
        host: settings.server.clone(),
        port: settings.port,
    };
    let config = KeeperConfig {
        archive: keeper::default_archive(&server.to_string()),
        server,
        topic_prefix: settings.topic_prefix.clone(),
        rooms,
        login: settings.login.as_ref().map(|l| {
            let password = l.password.as_ref().map(|p| p.expose().to_owned()).unwrap_or_default();
            (l.user.clone(), password)
        }),
    };
    let what = config.rooms.as_ref().map_or("every room".to_owned(), |r| {
        r.iter().map(|r| format!("#{r}")).collect::<Vec<_>>().join(", ")
    });
    match keeper::start(config.clone()) {
        Ok(_) => {
            eprintln!(
                "komunikator: keeping the history of {what} on {} in {} for late joiners; stop with Ctrl-C",
                config.server,
                config.archive.display()
            );
            wait_for_a_stop_signal();
            0
        }
        Err(why) => {
            eprintln!("komunikator: {why}");
            1
        }
    }
}

fn wait_for_a_stop_signal() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the async runtime starts");
    runtime.block_on(async {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        let mut hup = signal(SignalKind::hangup()).expect("SIGHUP handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
            _ = hup.recv() => {}
        }
    });
}

/// Prints what `read` finds in the history, one line (or JSON object) each.
fn print(
    settings: &Settings,
    read: impl FnOnce(&komunikator_history::Store) -> Result<Vec<komunikator_history::Stored>, komunikator_history::Error>,
) -> i32 {
    let Some(path) = default_path(settings) else {
        eprintln!("komunikator: no data directory (HOME is not set): there is no history");
        return 1;
    };
    if !path.exists() {
        eprintln!(
            "komunikator: no history is kept for {} yet ({})",
            settings.username,
            path.display()
        );
        return 0;
    }
    let messages = match komunikator_history::Store::open(&path).and_then(|store| read(&store)) {
        Ok(messages) => messages,
        Err(why) => {
            eprintln!("komunikator: {why}");
            return 1;
        }
    };
    let mut formatter = Formatter::new(matches!(settings.mode, Mode::Line { json: true }));
    let mut out = Vec::new();
    for stored in messages {
        let _ = formatter.write(&mut out, &Record::Found(kept(stored)));
    }
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(&out).and_then(|()| stdout.flush()) {
        Ok(()) => 0,
        Err(_) => 1,
    }
}
