//! `komunikator-broker`: the broker of `komunikator --serve` without the chat
//! client, for a machine that hosts the chat without joining it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use clap::error::ErrorKind;
use clap::Parser;
use komunikator::cli::one_line;
use komunikator::config::parse_port;

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
    // The broker runs on its own threads until the process is stopped.
    loop {
        std::thread::park();
    }
}
