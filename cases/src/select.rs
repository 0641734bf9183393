//! Choosing cases by Autobahn-style patterns: `*`, `6.*`, `9.7.*`, `1.1.1`, lists.

use crate::error::CasesError;
use crate::model::Case;

/// A case-id pattern: `*` matches any run of characters (dots included), all else is literal.
///
/// Autobahn compiles patterns with Python's `re.match`, which anchors only at the
/// start, so its `6.1` also selects `6.10.x`; here a pattern must match the whole
/// id, so `6.1` is exactly case 6.1 and `6.1.*` is the subsection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern(String);

impl Pattern {
    /// Parses one pattern.
    pub fn new(text: &str) -> Result<Self, CasesError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(CasesError::EmptyPattern);
        }
        if let Some(bad) = t
            .chars()
            .find(|c| !(c.is_ascii_digit() || *c == '.' || *c == '*'))
        {
            return Err(CasesError::BadPattern {
                pattern: t.to_string(),
                character: bad,
            });
        }
        Ok(Pattern(t.to_string()))
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when the pattern matches the whole id.
    pub fn matches(&self, id: &str) -> bool {
        glob_match(&self.0, id)
    }
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters and
/// everything else is literal, anchored at both ends (case ids, agent names).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, s): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    glob(&p, &s)
}

fn glob(p: &[char], s: &[char]) -> bool {
    // Iterative wildcard match with one backtrack point: linear enough for ids.
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, si));
            pi += 1;
        } else if pi < p.len() && p[pi] == s[si] {
            pi += 1;
            si += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Parses a comma-separated list of patterns (`"1.*,2.1,9.7.*"`).
pub fn parse_list(text: &str) -> Result<Vec<Pattern>, CasesError> {
    text.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(Pattern::new)
        .collect()
}

/// The cases matching any of `include` and none of `exclude`, in catalogue order.
///
/// A pattern that matches no case at all is an error, so a typo never silently
/// runs nothing.
pub fn select<'a>(
    cases: &'a [Case],
    include: &[Pattern],
    exclude: &[Pattern],
) -> Result<Vec<&'a Case>, CasesError> {
    for p in include.iter().chain(exclude) {
        if !cases.iter().any(|c| p.matches(&c.id)) {
            return Err(CasesError::NoMatch(p.as_str().to_string()));
        }
    }
    Ok(cases
        .iter()
        .filter(|c| include.iter().any(|p| p.matches(&c.id)))
        .filter(|c| !exclude.iter().any(|p| p.matches(&c.id)))
        .collect())
}

/// Whether a selected case may run as far as opt-in goes: a case that is not
/// opt-in always may; an opt-in one (section 15, aggressive by design) only with
/// `all` (`--all`) or when an include pattern that matches it names its section
/// (`15.*`, `15.2.1`), not through a wildcard section such as `*` or `1*`.
pub fn opt_in_allowed(case: &Case, include: &[Pattern], all: bool) -> bool {
    if !case.opt_in || all {
        return true;
    }
    let section = case.id.split('.').next().unwrap_or_default();
    include
        .iter()
        .any(|p| p.matches(&case.id) && p.as_str().split('.').next() == Some(section))
}

/// The subsection of a case id: the id without its last component (`6.4.3` → `6.4`,
/// `2.1` → `2`).
pub fn subsection(id: &str) -> &str {
    id.rsplit_once('.').map_or(id, |(head, _)| head)
}

/// A representative subset for a first look (`run --quick`): the first case of each
/// subsection among `cases`, in their order.
pub fn first_of_each_subsection(cases: Vec<Case>) -> Vec<Case> {
    let mut seen = std::collections::HashSet::new();
    cases
        .into_iter()
        .filter(|c| seen.insert(subsection(&c.id).to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_keeps_the_first_case_of_each_subsection() {
        let ids = [
            "1.1.1", "1.1.2", "1.2.1", "2.1", "2.2", "6.4.3", "6.10.1", "6.10.2",
        ];
        let cases: Vec<Case> = ids
            .iter()
            .map(|id| {
                let mut c = crate::all_cases()[0].clone();
                c.id = (*id).to_owned();
                c
            })
            .collect();
        let kept: Vec<String> = first_of_each_subsection(cases)
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(kept, ["1.1.1", "1.2.1", "2.1", "6.4.3", "6.10.1"]);
        assert_eq!(subsection("6.4.3"), "6.4");
        assert_eq!(subsection("2.1"), "2");
    }

    /// `pattern` matches every id of `yes` and none of `no`.
    fn assert_matches(pattern: &str, yes: &[&str], no: &[&str]) {
        let p = Pattern::new(pattern).unwrap();
        for id in yes {
            assert!(p.matches(id), "{pattern} should match {id}");
        }
        for id in no {
            assert!(!p.matches(id), "{pattern} should not match {id}");
        }
    }

    #[test]
    fn star_matches_across_dots() {
        assert_matches("6.*", &["6.4.3", "6.10.1"], &["7.1.1", "16.1.1"]);
        assert_matches("*", &["13.7.18"], &[]);
    }

    #[test]
    fn literal_is_anchored_both_ends() {
        assert_matches("6.1", &["6.1"], &["6.1.1", "6.10"]);
        assert_matches("9.7.*", &["9.7.6"], &["9.8.1"]);
    }

    #[test]
    fn inner_star() {
        assert_matches("1.*.8", &["1.1.8", "1.2.8"], &["1.2.7"]);
    }

    #[test]
    fn opt_in_cases_need_their_section_named_or_all() {
        let all = crate::all_cases();
        let flood = all.iter().find(|c| c.id == "15.2.1").unwrap();
        let plain = all.iter().find(|c| c.id == "1.1.1").unwrap();
        let pats = |t: &str| parse_list(t).unwrap();
        assert!(!opt_in_allowed(flood, &pats("*"), false));
        assert!(!opt_in_allowed(flood, &pats("1*"), false));
        assert!(opt_in_allowed(flood, &pats("*"), true));
        assert!(opt_in_allowed(flood, &pats("15.*"), false));
        assert!(opt_in_allowed(flood, &pats("*,15.2.1"), false));
        assert!(!opt_in_allowed(flood, &pats("15.1.*"), false));
        assert!(opt_in_allowed(plain, &pats("*"), false));
    }

    #[test]
    fn bad_patterns_are_errors() {
        assert!(matches!(
            Pattern::new("6.x"),
            Err(CasesError::BadPattern { character: 'x', .. })
        ));
        assert!(matches!(Pattern::new(" "), Err(CasesError::EmptyPattern)));
        assert_eq!(parse_list("1.*, 2.1,").unwrap().len(), 2);
    }
}
