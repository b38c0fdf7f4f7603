use komunikator::config::{self, Outcome};
use komunikator::{cli, line, logging, settings::Mode, tui};

fn main() {
    let settings = settings_or_exit();
    if let Some(path) = &settings.log_file {
        if let Err(e) = logging::init(path) {
            eprintln!("komunikator: {e}");
        }
    }
    tracing::info!(
        "komunikator {} starting: {} as {}",
        env!("CARGO_PKG_VERSION"),
        settings.address(),
        settings.username
    );
    if let Some(code) = komunikator::tasks::run(&settings) {
        std::process::exit(code);
    }
    // Hosting fills in where others can reach it.
    #[cfg(feature = "serve")]
    let mut settings = settings;
    #[cfg(feature = "serve")]
    if let Some(listen) = settings.hosting {
        // Before the client starts, so that its first connection finds the broker up.
        if let Err(why) = komunikator::serve::start(listen) {
            eprintln!("komunikator: {why}");
            tracing::error!("{why}");
            std::process::exit(1);
        }
        tracing::info!("hosting a broker on {listen}");
        settings.reachable = komunikator::serve::interface_addresses();
        if settings.keeper {
            // Late joiners get the rooms' recent history from it.
            let config = komunikator::tasks::keeper_for(&settings, listen);
            if let Err(why) = komunikator::keeper::start(config) {
                tracing::warn!("{why}");
            }
        }
    }
    // One thread: a chat client waits on the network, and one thread keeps
    // each message's path short (no hand-offs between cores).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the async runtime starts");
    let code = match settings.mode {
        Mode::Line { .. } => runtime.block_on(line::run(settings)),
        Mode::Tui => runtime.block_on(tui::run(settings)),
    };
    tracing::info!("exiting with status {code}");
    std::process::exit(code);
}

/// The settings from the command line, the environment and the config file,
/// checked; or the reason they cannot be used, and exit.
fn settings_or_exit() -> komunikator::settings::Settings {
    // Settings errors exit 2 like usage errors: nothing was tried yet.
    let mut settings = match cli::parse_or_exit().into_request().and_then(config::load) {
        Ok(Outcome::Run(settings)) => *settings,
        Ok(Outcome::Print(text)) => {
            print!("{text}");
            std::process::exit(0);
        }
        Err(e) => {
            eprintln!("komunikator: {e}");
            std::process::exit(2);
        }
    };
    if let Some(tls) = &settings.tls {
        // Unreadable or broken certificate files are reported now, before any connection.
        if let Err(e) = komunikator::tls::client_config(tls) {
            eprintln!("komunikator: {e}");
            std::process::exit(2);
        }
    }
    if settings.mode == Mode::Tui && settings.task == komunikator::settings::Task::Chat {
        if let Some(why) = no_terminal() {
            // A script or a dumb terminal asked for the UI: line mode is what it can use.
            eprintln!("komunikator: {why}: running in line mode (--no-tui)");
            settings.mode = Mode::Line { json: false };
        }
    }
    settings
}

/// Why the full-screen UI cannot run here, if it cannot: it needs a terminal
/// on both stdin and stdout, and one that understands cursor movement.
fn no_terminal() -> Option<String> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Some("stdin is not a terminal".into());
    }
    if !std::io::stdout().is_terminal() {
        return Some("stdout is not a terminal".into());
    }
    match std::env::var("TERM") {
        Ok(term) if term == "dumb" => Some("TERM is dumb".into()),
        Ok(term) if !term.is_empty() => None,
        _ => Some("TERM is not set".into()),
    }
}
