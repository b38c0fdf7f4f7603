//! Readings of a running process from /proc (CPU time, memory), and signals.

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use rustix::process::{kill_process, Pid, Signal};

/// Fields 3 onwards of `/proc/PID/stat` (state first), or `None` once the process is gone.
fn stat_fields(pid: i32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: the rest starts after the last ')'.
    let (_, rest) = stat.rsplit_once(") ")?;
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// User and system CPU time (all threads) in clock ticks; zeros once the process is gone.
pub fn user_sys_ticks(pid: i32) -> (u64, u64) {
    let Some(fields) = stat_fields(pid) else {
        return (0, 0);
    };
    // utime and stime are fields 14 and 15; the list starts at field 3.
    let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse().ok()).unwrap_or(0);
    (field(14), field(15))
}

/// Clock ticks per second (`CLK_TCK`).
pub fn ticks_per_second() -> u64 {
    rustix::param::clock_ticks_per_second()
}

/// CPU time (user + system) the process has used so far.
pub fn cpu_time(pid: i32) -> Duration {
    assert!(stat_fields(pid).is_some(), "read /proc/{pid}/stat");
    let (user, system) = user_sys_ticks(pid);
    Duration::from_millis((user + system) * 1000 / ticks_per_second())
}

/// CPU time of all the process's threads in ns, from the scheduler's
/// accounting (finer than clock ticks); 0 once the process is gone.
pub fn scheduled_ns(pid: i32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(|t| t.ok())
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()))
        .sum()
}

/// A `/proc/PID/status` field in KiB, e.g. `VmRSS` or `VmHWM` (peak
/// resident); `None` once the process is gone.
pub fn try_memory_kib(pid: i32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
}

/// [`try_memory_kib`] for a process that must still run.
pub fn memory_kib(pid: i32, field: &str) -> u64 {
    try_memory_kib(pid, field).unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// kill(2) on a process of ours (a child not reaped yet, or one it started).
pub fn send_signal(pid: i32, signal: Signal) {
    if let Err(e) = try_send_signal(pid, signal) {
        panic!("kill({pid}, {signal:?}): {e}");
    }
}

/// [`send_signal`] for where a failure must not panic (in `Drop`).
pub fn try_send_signal(pid: i32, signal: Signal) -> std::io::Result<()> {
    let process = Pid::from_raw(pid).ok_or(std::io::ErrorKind::InvalidInput)?;
    Ok(kill_process(process, signal)?)
}

/// Runs the command in a session of its own, with no controlling terminal:
/// a full-screen UI started by mistake cannot take over the terminal the
/// tests run in.
pub fn detach_from_terminal(command: &mut Command) {
    #[allow(unsafe_code)]
    // SAFETY: the closure runs between fork and exec, where only
    // async-signal-safe calls may be made; setsid(2) is one, and the closure
    // allocates nothing and touches nothing of the parent's.
    unsafe {
        command.pre_exec(|| rustix::process::setsid().map(drop).map_err(std::io::Error::from));
    }
}
