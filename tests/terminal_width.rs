//! Our width of emoji, flags, CJK and accents against what a real terminal
//! (tmux) draws: each grapheme cluster the UI sends is printed in a tmux
//! window of its own, and the cursor column after it is the width tmux gave
//! it. A cluster tmux draws wider or narrower than the UI reserved would
//! shift the rest of its row (the side panel's border) and leave stray cells.
//! Each cluster must also be one cell to tmux: written over at its first
//! column, nothing of it may stay (a flag tmux kept as two cells left its
//! second letter behind when the rows scrolled).

use komunikator::ui::width::{drawn_clusters, width};
use komunikator_testkit::tmux::Tmux;

const SAMPLES: [(&str, &str); 12] = [
    ("flag", "🇵🇱"),
    ("two flags", "🇵🇱🇩🇪"),
    ("a lone regional indicator", "🇵"),
    ("ZWJ family", "👩\u{200d}👩\u{200d}👧"),
    ("ZWJ with a skin tone", "👩🏽\u{200d}💻"),
    ("rainbow flag (VS16 and ZWJ)", "🏳\u{fe0f}\u{200d}🌈"),
    ("skin tone", "👍🏽"),
    ("skin tone on a narrow base", "✌🏿"),
    ("VS16", "❤\u{fe0f}"),
    ("keycap", "1\u{fe0f}\u{20e3}"),
    ("CJK", "日本語 한국어"),
    ("combining accents", "e\u{301}a\u{308}\u{301}"),
];

/// What one tmux window shows of a cluster.
enum Probe {
    /// The cluster then a bar: the cursor after the bar tells the width.
    Width(usize),
    /// The cluster, then a bar written over its first column.
    WrittenOver,
}

/// `text` as octal escapes, so `printf` writes its bytes whatever the shell's locale.
fn printf_escaped(text: &str) -> String {
    text.bytes().map(|b| format!("\\{b:03o}")).collect()
}

#[test]
fn our_widths_match_what_tmux_draws() {
    let Some(tmux) = Tmux::start() else { return };
    tmux.open_sized("widths", "sleep 600", 40, 5);
    let mut windows = Vec::new();
    for (name, sample) in SAMPLES {
        let clusters = drawn_clusters(sample);
        assert_eq!(
            clusters.iter().map(|(_, cells)| cells).sum::<usize>(),
            width(sample),
            "{name}"
        );
        for (cluster, cells) in clusters {
            for (probe, after) in [(Probe::Width(cells), "|"), (Probe::WrittenOver, "\\r|")] {
                let window = format!("widths:{}", windows.len() + 1);
                let command = format!("printf '{}{after}'; sleep 600", printf_escaped(&cluster));
                let out = tmux.run(&["new-window", "-d", "-t", &window, &command]);
                assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                windows.push((name, window, cluster.clone(), probe));
            }
        }
    }
    for (name, window, cluster, probe) in windows {
        // The bar comes after the cluster: once it shows, tmux has placed both.
        let shown = tmux.wait_screen(&window, "the bar", |s| s.contains('|'));
        let cells = match probe {
            Probe::Width(cells) => cells,
            Probe::WrittenOver => {
                let first = shown.lines().next().unwrap_or_default().trim_end();
                assert_eq!(
                    first, "|",
                    "{name}: part of {cluster:?} stayed when its first cell was written over"
                );
                continue;
            }
        };
        let out = tmux.run(&["display-message", "-p", "-t", &window, "#{cursor_x}"]);
        let cursor: usize = String::from_utf8_lossy(&out.stdout).trim().parse().expect("a column");
        // The cursor stands after the bar, one cell wide.
        assert_eq!(
            cursor - 1,
            cells,
            "{name}: tmux drew {cluster:?} in {} cells, the UI reserves {cells}:\n{shown}",
            cursor - 1
        );
    }
}
