//! The help overlay (F1, /help): every key, command and mark, laid out by
//! `app::help` for the screen's width, scrolled where the state says.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use crate::app::help::{self, Part};
use crate::app::State;

fn style(part: Part) -> Style {
    match part {
        Part::Heading => Style::default().add_modifier(Modifier::BOLD),
        Part::Label => Style::default().fg(Color::Cyan),
        Part::Text => Style::default(),
    }
}

/// Where the reader is and how to move, as long as the border has room for.
fn position(first: usize, last: usize, total: usize, room: usize) -> String {
    let choices = if last - first + 1 < total {
        vec![
            format!(" lines {first}–{last} of {total} · ↑↓ PgUp PgDn scroll · Esc closes "),
            format!(" {first}–{last} of {total} · ↑↓ PgUp PgDn · Esc closes "),
            format!(" {first}–{last} of {total} · ↑↓ · Esc "),
        ]
    } else {
        vec![" Esc closes ".to_owned()]
    };
    choices
        .into_iter()
        .find(|text| UnicodeWidthStr::width(text.as_str()) <= room)
        .unwrap_or_default()
}

pub(super) fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let layout = help::layout(area.width);
    let total = layout.lines.len();
    let rows = help::visible_rows(total, area.height);
    // The state's offset may be from another size: never past the end here.
    let first = state.help_scroll.min(total - rows);
    let width = layout.width.min(area.width);
    let height = (rows as u16 + 2).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let room = usize::from(width.saturating_sub(2));
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" komunikator help ")
        .title_bottom(Line::from(position(first + 1, first + rows, total, room)).right_aligned())
        .border_style(Style::default().fg(Color::Cyan));
    let lines: Vec<Line> = layout.lines[first..first + rows]
        .iter()
        .map(|segments| {
            let spans: Vec<Span> = segments
                .iter()
                .map(|(part, text)| Span::styled(text.as_str(), style(*part)))
                .collect();
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Clear, popup);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    frame.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use crate::app::{command::COMMANDS, keymap};

    const README: &str = include_str!("../../README.md");

    /// The README's key table, made from the keymap.
    fn readme_keys() -> String {
        let mut table = String::from("| key | does |\n| --- | --- |\n");
        for row in keymap::documented() {
            table.push_str(&format!("| {} | {} |\n", row.keys, row.full));
        }
        table
    }

    /// The README's command table, made from the command table.
    fn readme_commands() -> String {
        let mut table = String::from("| command | does |\n| --- | --- |\n");
        for spec in COMMANDS {
            let aliases: Vec<String> = spec.aliases.iter().map(|a| format!("`/{a}`")).collect();
            let also = if aliases.is_empty() {
                String::new()
            } else {
                format!("; {} too", aliases.join(", "))
            };
            table.push_str(&format!("| `{}` | {}{also} |\n", spec.usage, spec.full));
        }
        table
    }

    /// The table under `heading`, up to the blank line after it.
    fn section(heading: &str) -> &'static str {
        let start = README
            .find(heading)
            .unwrap_or_else(|| panic!("README has no {heading:?}"))
            + heading.len();
        let body = README[start..].trim_start_matches('\n');
        &body[..body.find("\n\n").map_or(body.len(), |end| end + 1)]
    }

    #[test]
    fn the_readme_tables_are_the_ones_the_code_uses() {
        let hint = "README.md is out of date; the table there should read";
        let keys = readme_keys();
        assert!(section("## Keys (full-screen UI)") == keys, "{hint}:\n{keys}");
        let commands = readme_commands();
        assert!(section("## Commands") == commands, "{hint}:\n{commands}");
    }
}
