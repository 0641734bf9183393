//! `--shard K/N`: a deterministic 1/N of the selected cases, so a CI matrix can split a run.
//!
//! Case `i` (0-based, in selection order) belongs to shard `i mod N + 1`. Interleaving
//! rather than cutting the list in N blocks spreads every section over all shards, so
//! shards take about the same time even though sections differ in cost.

use std::fmt;
use std::str::FromStr;

use crate::error::{HarnessError, ShardProblem};

/// Shard `index` of `count` (both 1-based: `1/2` and `2/2` together cover everything).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// K: which shard, 1..=count.
    pub index: usize,
    /// N: how many shards the run is split into, at least 1.
    pub count: usize,
}

impl Shard {
    /// The shard `index`/`count`, checked like the command line checks it.
    pub fn new(index: usize, count: usize) -> Result<Self, HarnessError> {
        let text = format!("{index}/{count}");
        check(&text, index, count)
    }

    /// Whether the case at `position` (0-based, in selection order) belongs to this shard.
    pub fn contains(&self, position: usize) -> bool {
        position % self.count == self.index - 1
    }

    /// The items of this shard, in their original order.
    pub fn pick<T>(&self, items: Vec<T>) -> Vec<T> {
        items
            .into_iter()
            .enumerate()
            .filter(|(i, _)| self.contains(*i))
            .map(|(_, item)| item)
            .collect()
    }
}

fn check(text: &str, index: usize, count: usize) -> Result<Shard, HarnessError> {
    let bad = |problem: ShardProblem| HarnessError::BadShard {
        text: text.to_string(),
        problem,
    };
    if count == 0 {
        return Err(bad(ShardProblem::NoShards));
    }
    if index == 0 || index > count {
        return Err(bad(ShardProblem::OutOfRange { count }));
    }
    Ok(Shard { index, count })
}

impl FromStr for Shard {
    type Err = HarnessError;

    /// Parses `K/N`, e.g. `2/4`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |problem: ShardProblem| HarnessError::BadShard {
            text: text.to_string(),
            problem,
        };
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| bad(ShardProblem::Form))?;
        let number = |s: &str, which: &'static str| {
            s.trim()
                .parse::<usize>()
                .map_err(|source| bad(ShardProblem::NotANumber { which, source }))
        };
        let index = number(k, "K")?;
        let count = number(n, "N")?;
        check(text, index, count)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_valid_values() {
        assert_eq!("1/1".parse::<Shard>().unwrap(), Shard::new(1, 1).unwrap());
        let s: Shard = " 3 / 4 ".trim().parse().unwrap();
        assert_eq!((s.index, s.count), (3, 4));
        assert_eq!(s.to_string(), "3/4");
    }

    #[test]
    fn rejects_out_of_range_and_malformed() {
        for bad in [
            "3/2", "0/2", "1/0", "0/0", "2", "a/2", "1/b", "-1/2", "1/2/3", "",
        ] {
            let err = bad.parse::<Shard>().unwrap_err();
            assert!(matches!(err, HarnessError::BadShard { .. }), "{bad}: {err}");
        }
        let msg = "3/2".parse::<Shard>().unwrap_err().to_string();
        assert!(msg.contains("between 1 and N (2)"), "{msg}");
    }

    #[test]
    fn shards_partition_the_selection_in_order() {
        let items: Vec<usize> = (0..23).collect();
        for n in 1..=7 {
            let mut seen = Vec::new();
            for k in 1..=n {
                let part = Shard::new(k, n).unwrap().pick(items.clone());
                // Sizes differ by at most one, and order is kept within a shard.
                assert!(part.len() == 23 / n || part.len() == 23 / n + 1);
                assert!(part.windows(2).all(|w| w[0] < w[1]));
                assert!(part.iter().all(|i| i % n == k - 1));
                seen.extend(part);
            }
            seen.sort_unstable();
            assert_eq!(seen, items, "shards of {n} must cover every case once");
        }
    }
}
