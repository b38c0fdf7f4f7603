//! `komunikator-broker`: the broker of `komunikator --serve` without the chat
//! client, for a machine that hosts the chat without joining it. A history
//! keeper runs next to it (unless `--no-keeper`), so that someone who joins
//! a room later still sees what was said.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::Parser;
use komunikator::cli::one_line;
use komunikator::config::parse_port;
use komunikator::keeper::{default_archive, KeeperConfig};
use komunikator::settings::{local_address, Server};

#[derive(Debug, Parser)]
#[command(
    name = "komunikator-broker",
    version,
    about = "The MQTT broker that `komunikator --serve` runs, without the chat client"
)]
struct Args {
    /// Port to listen on
    #[arg(short = 'p', long, default_value_t = 1883, value_parser = parse_port)]
    port: u16,

    /// Address to listen on [default: every interface]
    #[arg(long, value_name = "ADDR")]
    bind: Option<IpAddr>,

    /// Do not keep room history for people who join later
    #[arg(long)]
    no_keeper: bool,

    /// Where the history keeper keeps messages [default: <data dir>/komunikator/keeper/<address>.sqlite3]
    #[arg(long, value_name = "PATH", conflicts_with = "no_keeper")]
    keeper_archive: Option<PathBuf>,
}

fn main() {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => e.exit(),
        Err(e) => {
            eprintln!("komunikator-broker: {}", one_line(&e));
            std::process::exit(2);
        }
    };
    let listen = SocketAddr::new(args.bind.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)), args.port);
    if let Err(why) = komunikator::serve::start(listen) {
        eprintln!("komunikator-broker: {why}");
        std::process::exit(1);
    }
    eprintln!("komunikator-broker: hosting a broker on {listen}; stop it with Ctrl-C");
    if !args.no_keeper {
        keep_history(listen, args.keeper_archive);
    }
    // The broker runs on its own threads until the process is stopped.
    loop {
        std::thread::park();
    }
}

/// Starts the history keeper as a client of the broker just started. A
/// keeper that cannot start is said in one line; the broker runs on without it.
fn keep_history(listen: SocketAddr, archive: Option<PathBuf>) {
    let target = local_address(listen);
    let server = Server {
        host: target.ip().to_string(),
        port: target.port(),
    };
    let archive = archive.unwrap_or_else(|| default_archive(&server.to_string()));
    let config = KeeperConfig {
        server,
        topic_prefix: String::new(),
        rooms: None,
        archive: archive.clone(),
        login: None,
    };
    match komunikator::keeper::start(config) {
        Ok(_running) => eprintln!(
            "komunikator-broker: keeping room history for late joiners ({}); --no-keeper turns it off",
            archive.display()
        ),
        Err(why) => eprintln!("komunikator-broker: {why}; the broker runs on without it"),
    }
}
