//! The shape the repository's rules ask of the case player and the harness: no
//! function over 120 lines and no file over 1,000 lines in `cases/src` and
//! `harness/src`. Long functions hide more than one concern, and that is where
//! rules end up written twice.
//!
//! `cargo test --release -p ws-cases --test code_shape -- --nocapture` prints the
//! longest functions and files whether the check passes or not.

mod sources;

use std::path::{Path, PathBuf};

use sources::{repo_root, rust_files};

/// The longest a function may be, counted from its `fn` line to its closing brace.
const MAX_FN_LINES: usize = 120;
/// The longest a source file may be.
const MAX_FILE_LINES: usize = 1000;

/// One function found in a source file.
#[derive(Debug, PartialEq)]
struct Function {
    name: String,
    /// 1-based line of the `fn` keyword.
    line: usize,
    /// Lines from the `fn` line to the closing brace, both included.
    lines: usize,
}

/// The source with comments, string literals and char literals blanked out
/// (newlines kept), so that braces inside them do not count.
fn code_only(source: &str) -> Vec<char> {
    let s: Vec<char> = source.chars().collect();
    let mut out = Vec::with_capacity(s.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        let next = s.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < s.len() && s[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0usize;
            loop {
                if i >= s.len() {
                    break;
                }
                if s[i] == '/' && s.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.extend([' ', ' ']);
                    i += 2;
                } else if s[i] == '*' && s.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.extend([' ', ' ']);
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(s[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && matches!(next, Some('"') | Some('#')) && !ident_char(prev(&s, i)) {
            // A raw string: r"…", r#"…"#, r##"…"##.
            let mut j = i + 1;
            let mut hashes = 0;
            while s.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if s.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            while j < s.len() {
                if s[j] == '"' && (0..hashes).all(|k| s.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.extend(s[i..j.min(s.len())].iter().map(|&c| blank(c)));
            i = j;
        } else if c == '"' {
            let mut j = i + 1;
            while j < s.len() && s[j] != '"' {
                j += if s[j] == '\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(s.len());
            out.extend(s[i..end].iter().map(|&c| blank(c)));
            i = end;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{7f}', '{') or a lifetime ('a).
            let end = if next == Some('\\') {
                s[i + 2..]
                    .iter()
                    .position(|&c| c == '\'')
                    .map(|p| i + 2 + p + 1)
            } else if s.get(i + 2) == Some(&'\'') {
                Some(i + 3)
            } else {
                None
            };
            match end {
                Some(end) => {
                    out.extend(s[i..end].iter().map(|&c| blank(c)));
                    i = end;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn prev(s: &[char], i: usize) -> Option<char> {
    i.checked_sub(1).map(|p| s[p])
}

fn ident_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Every function with a body in `source`, with its length.
fn functions(source: &str) -> Vec<Function> {
    let code = code_only(source);
    let line_of = |at: usize| 1 + code[..at].iter().filter(|&&c| c == '\n').count();
    let mut found = Vec::new();
    let mut i = 0;
    while i + 3 <= code.len() {
        let keyword = code[i] == 'f'
            && code[i + 1] == 'n'
            && code.get(i + 2).is_some_and(|c| c.is_whitespace())
            && !ident_char(prev(&code, i));
        if !keyword {
            i += 1;
            continue;
        }
        let mut j = i + 2;
        while code.get(j).is_some_and(|c| c.is_whitespace()) {
            j += 1;
        }
        let name: String = code[j..]
            .iter()
            .take_while(|&&c| ident_char(Some(c)))
            .collect();
        if name.is_empty() {
            i += 2;
            continue;
        }
        // The body opens at the first `{` outside the signature's parentheses;
        // a `;` first means a declaration without a body (in a trait).
        let mut parens = 0i32;
        let mut open = None;
        while j < code.len() {
            match code[j] {
                '(' | '[' => parens += 1,
                ')' | ']' => parens -= 1,
                ';' if parens == 0 => break,
                '{' if parens == 0 => {
                    open = Some(j);
                    break;
                }
                _ => {}
            }
            j += 1;
        }
        let Some(open) = open else {
            i = j;
            continue;
        };
        let mut depth = 0usize;
        let mut close = open;
        for (k, &c) in code.iter().enumerate().skip(open) {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = k;
                        break;
                    }
                }
                _ => {}
            }
        }
        let (first, last) = (line_of(i), line_of(close));
        found.push(Function {
            name,
            line: first,
            lines: last - first + 1,
        });
        // Go on inside the body: nested functions are counted too.
        i = open + 1;
    }
    found
}

/// (path, function) for every function below the given directories, longest first.
fn all_functions(dirs: &[PathBuf]) -> Vec<(String, Function)> {
    let mut all = Vec::new();
    for dir in dirs {
        for file in rust_files(dir) {
            let text = std::fs::read_to_string(&file).expect("readable source");
            for f in functions(&text) {
                all.push((shown(&file), f));
            }
        }
    }
    all.sort_by_key(|f| std::cmp::Reverse(f.1.lines));
    all
}

fn checked_dirs() -> Vec<PathBuf> {
    let root = repo_root();
    vec![root.join("cases/src"), root.join("harness/src")]
}

/// A path as the repository names it (`cases/src/judge.rs`).
fn shown(path: &Path) -> String {
    path.strip_prefix(repo_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn no_function_over_120_lines_in_cases_and_harness() {
    let all = all_functions(&checked_dirs());
    println!("longest functions in cases/src and harness/src:");
    for (path, f) in all.iter().take(10) {
        println!("{:5} lines  {path}:{} {}", f.lines, f.line, f.name);
    }
    let long: Vec<String> = all
        .iter()
        .filter(|(_, f)| f.lines > MAX_FN_LINES)
        .map(|(path, f)| format!("{path}:{} {} is {} lines", f.line, f.name, f.lines))
        .collect();
    assert!(
        long.is_empty(),
        "functions over {MAX_FN_LINES} lines (split them by concern):\n{}",
        long.join("\n")
    );
}

#[test]
fn no_file_over_1000_lines_in_cases_and_harness() {
    let mut sizes: Vec<(usize, String)> = checked_dirs()
        .iter()
        .flat_map(|d| rust_files(d))
        .map(|f| {
            let text = std::fs::read_to_string(&f).expect("readable source");
            (text.lines().count(), shown(&f))
        })
        .collect();
    sizes.sort_by(|a, b| b.cmp(a));
    println!("longest files in cases/src and harness/src:");
    for (n, path) in sizes.iter().take(5) {
        println!("{n:5} lines  {path}");
    }
    let long: Vec<String> = sizes
        .iter()
        .filter(|(n, _)| *n > MAX_FILE_LINES)
        .map(|(n, path)| format!("{path} is {n} lines"))
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_FILE_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_counter_measures_functions_and_skips_what_is_not_code() {
    let source = r##"
/// A doc comment with fn fake() { and an unmatched brace {
fn short(a: u8) -> u8 {
    let s = "a } in a string";
    let r = r#"and { in a raw one"#;
    let c = '{';
    let l: &'static str = "x";
    /* a block comment with } */
    a
}

trait T {
    fn declared(&self);
    fn provided(&self) -> [u8; 2] {
        [0; 2]
    }
}

fn outer<F: Fn(u8) -> u8>(f: F) -> impl Fn(u8) -> u8
where
    F: Copy,
{
    fn inner() {}
    move |x| f(x)
}
"##;
    let found = functions(source);
    let summary: Vec<(&str, usize, usize)> = found
        .iter()
        .map(|f| (f.name.as_str(), f.line, f.lines))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("short", 3, 8),
            ("provided", 14, 3),
            ("outer", 19, 7),
            ("inner", 23, 1),
        ]
    );
    // A function one line over the limit is reported.
    let long = format!(
        "fn long() {{\n{}}}\n",
        "    step();\n".repeat(MAX_FN_LINES - 1)
    );
    assert_eq!(functions(&long)[0].lines, MAX_FN_LINES + 1);
}
