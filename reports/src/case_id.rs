//! Ordering of case ids such as `1.1.10` or `12.3.1`.

use std::cmp::Ordering;

/// Compares two case ids component by component, numerically where both components are
/// numbers, so `1.1.9 < 1.1.10` and `0.x < 1.x < 10.x`.
///
/// A component that is not a number sorts after every numeric one and against another
/// non-numeric component by plain string order; an id that is a prefix of another sorts first
/// (`1.1 < 1.1.1`). The order is total, and equal only for equal strings.
pub fn compare_case_ids(a: &str, b: &str) -> Ordering {
    let mut left = a.split('.');
    let mut right = b.split('.');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(nx), Ok(ny)) => nx.cmp(&ny),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

/// The section of a case: the first component of its id (`"6"` for `6.4.1`).
pub fn section_of(case_id: &str) -> &str {
    case_id.split('.').next().unwrap_or(case_id)
}

/// The subsection of a case: its first two components (`"6.4"` for `6.4.1`), or the whole id
/// when it has fewer.
pub fn subsection_of(case_id: &str) -> &str {
    match case_id.match_indices('.').nth(1) {
        Some((pos, _)) => &case_id[..pos],
        None => case_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_components_sort_numerically() {
        assert_eq!(compare_case_ids("1.1.9", "1.1.10"), Ordering::Less);
        assert_eq!(compare_case_ids("1.1.10", "1.1.9"), Ordering::Greater);
        assert_eq!(compare_case_ids("0.5", "1.1"), Ordering::Less);
        assert_eq!(compare_case_ids("9.1.1", "10.1"), Ordering::Less);
        assert_eq!(compare_case_ids("12.1.1", "2.1"), Ordering::Greater);
    }

    #[test]
    fn prefix_sorts_first_and_equal_only_for_equal_strings() {
        assert_eq!(compare_case_ids("1.1", "1.1.1"), Ordering::Less);
        assert_eq!(compare_case_ids("1.1.1", "1.1.1"), Ordering::Equal);
        // Same numbers, different spelling: still a total order, never Equal.
        assert_ne!(compare_case_ids("1.01", "1.1"), Ordering::Equal);
        assert_eq!(compare_case_ids("1.x", "1.2"), Ordering::Greater);
    }

    #[test]
    fn sorting_a_catalogue_slice() {
        let mut ids = vec![
            "7.13.2", "1.1.10", "7.1.6", "1.1.2", "12.1.1", "1.1.1", "7.13.1",
        ];
        ids.sort_by(|a, b| compare_case_ids(a, b));
        assert_eq!(
            ids,
            ["1.1.1", "1.1.2", "1.1.10", "7.1.6", "7.13.1", "7.13.2", "12.1.1"]
        );
    }

    #[test]
    fn section_and_subsection() {
        assert_eq!(section_of("6.4.1"), "6");
        assert_eq!(subsection_of("6.4.1"), "6.4");
        assert_eq!(subsection_of("10.1"), "10.1");
        assert_eq!(section_of("5"), "5");
    }
}
