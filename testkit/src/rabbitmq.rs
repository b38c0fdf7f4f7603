//! A private RabbitMQ node with its MQTT plugin, on free loopback ports, and
//! a cluster of two. Each node lives in a temporary directory of its own
//! (configuration, database, logs, Erlang cookie) and never touches a system
//! RabbitMQ on the default ports; only epmd, the Erlang port mapper, is shared.
//!
//! The node is started by a small shell script in its directory that sets
//! the environment and runs `rabbitmq-server` (not the `/usr/sbin` wrapper,
//! which switches to the `rabbitmq` user): the script is the launch command,
//! so a restart gets the same environment.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rustix::process::Signal;

use crate::broker::{Broker, BrokerKind};
use crate::mqtt::{remaining_length, string};
use crate::procfs::try_send_signal;
use crate::{free_port, notice, rabbitmq_required, REQUIRE_RABBITMQ};

const SERVER: &str = "/usr/lib/rabbitmq/bin/rabbitmq-server";
const CTL: &str = "/usr/lib/rabbitmq/bin/rabbitmqctl";

/// How long a node may take to boot and accept MQTT: about 12 s alone on
/// two cores, more when several boot at once.
const BOOT: Duration = Duration::from_secs(60);

/// How many times a node (or cluster) is started on fresh ports before
/// giving up: a port may be taken between our probe and the node's bind.
const ATTEMPTS: usize = 3;

impl Broker {
    /// A private RabbitMQ node with the MQTT plugin on a free port
    /// (anonymous clients allowed, as `guest`). `None` when RabbitMQ is not
    /// installed and that is allowed (see [`REQUIRE_RABBITMQ`]).
    pub fn start_rabbitmq() -> Option<Broker> {
        if !installed() {
            return None;
        }
        let cookie = cookie();
        Some(attempt("a RabbitMQ node", || {
            let mut node = spawn_node(&cookie)?;
            wait_ready(&mut node, BOOT)?;
            Ok(node)
        }))
    }

    /// Two private RabbitMQ nodes joined in one cluster, each with its own
    /// MQTT port; the second joined the first. `None` when RabbitMQ is not
    /// installed and that is allowed.
    pub fn start_rabbitmq_cluster() -> Option<(Broker, Broker)> {
        if !installed() {
            return None;
        }
        let cookie = cookie();
        Some(attempt("a RabbitMQ cluster", || {
            // Both boot at once: the boot is mostly waiting.
            let mut first = spawn_node(&cookie)?;
            let mut second = spawn_node(&cookie)?;
            wait_ready(&mut first, BOOT)?;
            wait_ready(&mut second, BOOT)?;
            let first_name = node_name(first.port);
            ctl(&second, &["stop_app"]);
            ctl(&second, &["join_cluster", &first_name]);
            ctl(&second, &["start_app"]);
            wait_ready(&mut second, BOOT)?;
            let status = ctl(&second, &["cluster_status"]);
            let running = status.split("Running Nodes").nth(1).unwrap_or_default();
            assert!(
                running.contains(&first_name) && running.contains(&node_name(second.port)),
                "the RabbitMQ nodes did not form a cluster; cluster_status:\n{status}"
            );
            Ok((first, second))
        }))
    }
}

/// True when `rabbitmq-server` is installed; otherwise a notice, or a panic
/// when [`REQUIRE_RABBITMQ`] is `1`.
fn installed() -> bool {
    if Path::new(SERVER).is_file() {
        return true;
    }
    assert!(
        !rabbitmq_required(),
        "{SERVER} is not installed, and {REQUIRE_RABBITMQ}=1 requires it"
    );
    notice(&format!(
        "{SERVER} is not installed: the RabbitMQ tests are SKIPPED (set {REQUIRE_RABBITMQ}=1 to fail instead)"
    ));
    false
}

/// Runs `start` until it succeeds; it returns `Err(what the node said)`
/// when it did not come up (a port taken meanwhile).
fn attempt<T>(what: &str, mut start: impl FnMut() -> Result<T, String>) -> T {
    let mut last = String::new();
    for _ in 0..ATTEMPTS {
        match start() {
            Ok(started) => return started,
            Err(said) => last = said,
        }
    }
    panic!("{what} did not start in {ATTEMPTS} tries; it said last:\n{last}");
}

/// An Erlang cookie: nodes with the same one may join each other (and
/// `rabbitmqctl` may talk to them).
fn cookie() -> String {
    std::iter::repeat_with(fastrand::uppercase).take(20).collect()
}

/// The node's Erlang name: the MQTT port makes it unique on this machine.
fn node_name(mqtt_port: u16) -> String {
    format!("kt{mqtt_port}@localhost")
}

/// `rabbitmq.conf`: the README's example (`examples/rabbitmq/rabbitmq.conf`)
/// on loopback and these ports, with the log on standard output (into
/// `node.log`), without colours.
fn config(mqtt_port: u16, amqp_port: u16) -> String {
    let example = include_str!("../../examples/rabbitmq/rabbitmq.conf");
    assert!(
        example.contains("listeners.tcp.default = 5672\n") && example.contains("mqtt.listeners.tcp.default = 1883\n")
    );
    let config = example
        .replace(
            "mqtt.listeners.tcp.default = 1883\n",
            &format!("mqtt.listeners.tcp.default = 127.0.0.1:{mqtt_port}\n"),
        )
        .replace(
            "\nlisteners.tcp.default = 5672\n",
            &format!("\nlisteners.tcp.default = 127.0.0.1:{amqp_port}\n"),
        );
    format!("{config}log.file = false\nlog.console = true\nlog.console.level = info\nlog.console.use_colors = off\n")
}

/// Writes the node's directory and starts it on a free MQTT port; it is not
/// ready yet (see [`wait_ready`]).
fn spawn_node(cookie: &str) -> Result<Broker, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("a temporary directory: {e}"))?;
    let d = dir.path();
    let mqtt_port = free_port();
    let amqp_port = free_port();
    let dist_port = free_port();
    let path = |name: &str| d.join(name).display().to_string();
    let write = |name: &str, text: &str| {
        std::fs::write(d.join(name), text).unwrap_or_else(|e| panic!("write {}: {e}", path(name)));
    };
    write("rabbitmq.conf", &config(mqtt_port, amqp_port));
    write("enabled_plugins", "[rabbitmq_mqtt].\n");
    // Our own (empty) environment file instead of /etc/rabbitmq/rabbitmq-env.conf,
    // which names the system node.
    write("rabbitmq-env.conf", "");
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(d.join(".erlang.cookie"))
        .and_then(|mut f| f.write_all(cookie.as_bytes()))
        .expect("write the Erlang cookie");
    let env = [
        ("HOME", d.display().to_string()),
        ("RABBITMQ_NODENAME", node_name(mqtt_port)),
        ("RABBITMQ_NODE_PORT", amqp_port.to_string()),
        ("RABBITMQ_DIST_PORT", dist_port.to_string()),
        // 3.10 takes the new-style file with its `.conf` extension.
        ("RABBITMQ_CONFIG_FILE", path("rabbitmq.conf")),
        ("RABBITMQ_MNESIA_BASE", path("mnesia")),
        ("RABBITMQ_LOG_BASE", path("log")),
        ("RABBITMQ_ENABLED_PLUGINS_FILE", path("enabled_plugins")),
        ("RABBITMQ_CONF_ENV_FILE", path("rabbitmq-env.conf")),
        // A VM that fails to boot dumps here, not in the tests' directory.
        ("ERL_CRASH_DUMP", path("erl_crash.dump")),
    ];
    let exports: String = env
        .iter()
        .map(|(name, value)| format!("export {name}='{value}'\n"))
        .collect();
    write("env.sh", &exports);
    let log = d.join("node.log");
    write(
        "node.sh",
        &format!(
            ". '{}'\nexec >>'{}' 2>&1\nexec {SERVER}\n",
            path("env.sh"),
            log.display()
        ),
    );
    write(
        "ctl.sh",
        &format!(". '{}'\nexec {CTL} -n \"$RABBITMQ_NODENAME\" \"$@\"\n", path("env.sh")),
    );
    let launch = vec!["/bin/sh".into(), d.join("node.sh").into_os_string()];
    let process = spawn(&launch);
    Ok(Broker::new(BrokerKind::RabbitMq, mqtt_port, process, launch, log, dir))
}

/// Runs the node's launch script. Not in a session of its own: Ctrl-C on
/// the tests reaches the script, which stops the node.
fn spawn(launch: &[std::ffi::OsString]) -> Child {
    let (program, args) = launch.split_first().expect("a launch command");
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start rabbitmq-server")
}

/// Waits until the node accepts an MQTT connection (the port opens a little
/// before the plugin takes clients). `Err(its log)` when it exited first;
/// panics when neither happens within `timeout`.
fn wait_ready(node: &mut Broker, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = node.process.try_wait() {
            return Err(format!("RabbitMQ exited ({status}); its log:\n{}", node.log_text()));
        }
        if accepts_mqtt(node.port) {
            return Ok(());
        }
        assert!(
            Instant::now() < deadline,
            "RabbitMQ did not accept MQTT on port {} within {timeout:?}",
            node.port
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// True when a clean MQTT 3.1.1 CONNECT on the port gets a CONNACK that accepts it.
fn accepts_mqtt(port: u16) -> bool {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(500)) else {
        return false;
    };
    let mut body = Vec::new();
    string(b"MQTT", &mut body);
    body.extend_from_slice(&[4, 0x02, 0, 0]); // 3.1.1, clean session, no keep-alive
    string(b"komunikator-testkit-ready", &mut body);
    let mut packet = vec![0x10];
    remaining_length(body.len(), &mut packet);
    packet.extend_from_slice(&body);
    let mut connack = [0u8; 4];
    let accepted = stream.set_read_timeout(Some(Duration::from_secs(5))).is_ok()
        && stream.write_all(&packet).is_ok()
        && stream.read_exact(&mut connack).is_ok()
        && connack == [0x20, 2, 0, 0];
    if accepted {
        let _ = stream.write_all(&[0xe0, 0]); // DISCONNECT
    }
    accepted
}

/// Runs `rabbitmqctl` on the node with its environment and cookie; panics
/// when it fails or takes over a minute. Returns what it printed.
fn ctl(node: &Broker, args: &[&str]) -> String {
    let dir = node.log.parent().expect("the node's directory");
    let output = dir.join("ctl.out");
    let file = std::fs::File::create(&output).expect("create ctl.out");
    let mut child = Command::new("/bin/sh")
        .arg(dir.join("ctl.sh"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(file.try_clone().expect("share ctl.out"))
        .stderr(file)
        .spawn()
        .expect("run rabbitmqctl");
    let deadline = Instant::now() + BOOT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for rabbitmqctl") {
            break status;
        }
        if Instant::now() >= deadline {
            kill_tree(&mut child);
            panic!(
                "rabbitmqctl {args:?} took over {BOOT:?}; it said:\n{}",
                std::fs::read_to_string(&output).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let said = std::fs::read_to_string(&output).unwrap_or_default();
    assert!(status.success(), "rabbitmqctl {args:?} failed ({status}):\n{said}");
    said
}

/// Starts the node again with the same directory and ports.
pub(crate) fn restart(node: &mut Broker) {
    node.process = spawn(&node.launch);
    if let Err(said) = wait_ready(node, BOOT) {
        panic!("RabbitMQ did not come back on port {}: {said}", node.port);
    }
}

/// Kills the node as a crash would: the script, the Erlang VM and the
/// helpers the VM started in sessions of their own (`erl_child_setup`,
/// `inet_gethost`, the disk monitor). Returns once all of them are gone.
pub(crate) fn kill_tree(process: &mut Child) {
    if let Ok(Some(_)) = process.try_wait() {
        // Reaped already: its pid may be someone else's by now.
        return;
    }
    let tree = descendants(process.id() as i32);
    let _ = process.kill();
    for &pid in &tree {
        let _ = try_send_signal(pid, Signal::KILL);
    }
    let _ = process.wait();
    let deadline = Instant::now() + Duration::from_secs(10);
    while tree.iter().any(|&pid| alive(pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The Erlang VM's pid (the launch script's child), for signals; the
/// script's own when the VM is not running.
pub(crate) fn vm_pid(process: &Child) -> i32 {
    let root = process.id() as i32;
    descendants(root)
        .into_iter()
        .find(|&pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "beam.smp"))
        .unwrap_or(root)
}

/// State and parent of a process, from `/proc/PID/stat`.
fn state_and_parent(pid: i32) -> Option<(char, i32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: the rest starts after the last ')'.
    let (_, rest) = stat.rsplit_once(") ")?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let parent = fields.next()?.parse().ok()?;
    Some((state, parent))
}

/// True while the process exists and is not a zombie.
fn alive(pid: i32) -> bool {
    state_and_parent(pid).is_some_and(|(state, _)| state != 'Z')
}

/// All processes below `root`, parents before children.
fn descendants(root: i32) -> Vec<i32> {
    let parents: Vec<(i32, i32)> = std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
                .filter_map(|pid| Some((pid, state_and_parent(pid)?.1)))
                .collect()
        })
        .unwrap_or_default();
    let mut found = vec![root];
    let mut next = 0;
    while next < found.len() {
        let parent = found[next];
        found.extend(parents.iter().filter(|&&(_, p)| p == parent).map(|&(pid, _)| pid));
        next += 1;
    }
    found.remove(0);
    found
}
