//! Writing to the terminal: stdout that may be closed under us (`wsconform list | head
//! -1`), and whether verdicts are coloured.

use std::fmt;
use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once stdout's reader has gone; later output is dropped instead of panicking.
static STDOUT_GONE: AtomicBool = AtomicBool::new(false);

/// Writes to stdout. A reader that went away ends the output, not the command: the
/// command still finishes its work (reports, exit code) with nothing more printed.
pub fn write_stdout(args: fmt::Arguments<'_>) {
    if STDOUT_GONE.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    let result = out.write_fmt(args).and_then(|()| out.flush());
    if let Err(e) = result {
        STDOUT_GONE.store(true, Ordering::Relaxed);
        if e.kind() != ErrorKind::BrokenPipe {
            eprintln!("wsconform: cannot write to stdout: {e}");
        }
    }
}

/// `print!` that survives a closed stdout (see [`write_stdout`]).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::console::write_stdout(format_args!($($arg)*)) };
}

/// `println!` that survives a closed stdout (see [`write_stdout`]).
#[macro_export]
macro_rules! outln {
    () => { $crate::console::write_stdout(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::console::write_stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `--color`: whether verdicts are coloured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set to something (https://no-color.org).
    #[default]
    Auto,
    /// Always, even into a pipe or with NO_COLOR.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether stdout gets colour.
    pub fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                use std::io::IsTerminal;
                let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
                !no_color && std::io::stdout().is_terminal()
            }
        }
    }
}

/// SGR colour of each verdict word: red fails, yellow is non-strict, green passes.
const VERDICT_COLOURS: [(&str, &str); 8] = [
    ("FAILED BY CLIENT", "33"),
    ("FAILED", "31"),
    ("UNCLEAN", "31"),
    ("NON-STRICT", "33"),
    ("WRONG CODE", "33"),
    ("UNIMPLEMENTED", "35"),
    ("INFORMATIONAL", "36"),
    ("OK", "32"),
];

/// `text` (tables drawn with `│`) with each cell that starts with a verdict coloured.
/// Colour goes in after the layout, so column widths stay right.
pub fn paint_verdicts(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (i, cell) in text.split("│ ").enumerate() {
        if i > 0 {
            out.push_str("│ ");
        }
        match VERDICT_COLOURS.iter().find(|(word, _)| {
            cell.strip_prefix(word)
                .is_some_and(|rest| rest.starts_with(' ') || rest.is_empty())
        }) {
            Some((word, sgr)) => {
                out.push_str(&format!("\x1b[{sgr}m{word}\x1b[0m"));
                out.push_str(&cell[word.len()..]);
            }
            None => out.push_str(cell),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_cells_that_start_with_a_verdict_are_painted() {
        let row = "│ 1.1.1 │ FAILED │ FAILED BY CLIENT │ got OK instead │";
        let painted = paint_verdicts(row);
        assert_eq!(
            painted,
            "│ 1.1.1 │ \x1b[31mFAILED\x1b[0m │ \x1b[33mFAILED BY CLIENT\x1b[0m │ got OK instead │"
        );
        assert_eq!(paint_verdicts("no table"), "no table");
    }
}
