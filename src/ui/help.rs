//! The help overlay (F1, /help): every key and command.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::app::command::COMMANDS;
use crate::app::keymap;

fn entry(left: String, about: &'static str) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{left:<20}"), Style::default().fg(Color::Cyan)),
        Span::raw(about),
    ])
}

pub(super) fn draw(frame: &mut Frame, area: Rect) {
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let mut keys = vec![Line::styled("Keys", bold)];
    keys.extend(keymap::documented().map(|row| entry(row.keys.to_string(), row.brief)));
    let mut commands = vec![Line::styled("Commands", bold)];
    // The key commands share one line: the overlay has to fit 80×30.
    commands.extend(COMMANDS.iter().filter_map(|c| match c.name {
        "trust" | "untrust" => None,
        "whois" => Some(entry(
            "/whois USER".to_string(),
            "key fingerprint; /trust, /untrust USER",
        )),
        _ => Some(entry(c.usage.to_string(), c.about)),
    }));
    // Side by side when there is room, else one list.
    let two_columns = area.width >= 110;
    let (width, rows) = if two_columns {
        (area.width.min(124), keys.len().max(commands.len()))
    } else {
        (area.width.min(64), keys.len() + commands.len())
    };
    let height = (rows as u16 + 2).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" komunikator help · any key closes ")
        .border_style(Style::default().fg(Color::Cyan));
    frame.render_widget(Clear, popup);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    if two_columns {
        let [left, right] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(inner);
        frame.render_widget(Paragraph::new(keys), left);
        frame.render_widget(Paragraph::new(commands).wrap(Wrap { trim: false }), right);
    } else {
        keys.extend(commands);
        frame.render_widget(Paragraph::new(keys), inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
