use komunikator::{cli, line, settings::Mode, tui};

fn main() {
    let settings = cli::parse_or_exit().into_settings();
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
    std::process::exit(code);
}
