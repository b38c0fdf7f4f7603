//! Readings of a running process from /proc (CPU time, memory), and signals.

use std::time::Duration;

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
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_CLK_TCK) as u64 }
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

/// kill(2) on a child of ours that has not been reaped yet.
pub fn send_signal(pid: i32, signal: libc::c_int) {
    // SAFETY: kill(2) has no memory effects; callers pass their own unreaped
    // child, so the pid cannot belong to another process.
    let rc = unsafe { libc::kill(pid, signal) };
    assert_eq!(rc, 0, "kill({pid}, {signal})");
}
