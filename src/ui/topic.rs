//! The active room's topic: one line under the title, only while it has one.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use unicode_segmentation::UnicodeSegmentation;

use super::wrap::width;
use crate::app::room_topic::RoomTopic;
use crate::app::State;

/// The active room's topic, if it has one to show.
pub(super) fn of(state: &State) -> Option<&RoomTopic> {
    state.active_room().and_then(|room| room.topic.as_ref())
}

/// Rows the topic takes: none without one, so other screens stay as they are.
pub(super) fn rows(state: &State) -> u16 {
    state.topic_rows()
}

pub(super) fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let Some(topic) = of(state) else { return };
    let dim = Style::default().add_modifier(Modifier::DIM);
    let warn = topic.verdict.is_suspect();
    let by = format!(" · {}", topic.set_by());
    let text = topic.shown_text();
    let label = " topic: ";
    // The text gives way first; who set it (and any warning) stays in view.
    let room_for_text = (area.width as usize).saturating_sub(width(label) + width(&by));
    let (text, by) = if room_for_text >= 8 {
        (cut(&text, room_for_text), by)
    } else {
        (
            cut(&text, (area.width as usize).saturating_sub(width(label))),
            String::new(),
        )
    };
    let by_style = if warn { Style::default().fg(Color::Yellow) } else { dim };
    let line = Line::from(vec![
        Span::styled(label, dim),
        Span::styled(text, Style::default().add_modifier(Modifier::BOLD)),
        Span::styled(by, by_style),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

/// `text` cut to `cells` terminal cells, ending with `…` when cut.
fn cut(text: &str, cells: usize) -> String {
    if width(text) <= cells {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for grapheme in text.graphemes(true) {
        let w = width(grapheme);
        if used + w + 1 > cells {
            break;
        }
        out.push_str(grapheme);
        used += w;
    }
    if cells > 0 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_text_ends_with_an_ellipsis_within_its_cells() {
        assert_eq!(cut("Release on Friday", 20), "Release on Friday");
        assert_eq!(cut("Release on Friday", 8), "Release…");
        assert_eq!(cut("日本語のトピック", 7), "日本語…");
        assert_eq!(width(&cut("日本語のトピック", 6)), 5);
        assert_eq!(cut("abc", 0), "");
    }
}
