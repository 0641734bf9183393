//! The errors of ws-cases.

/// What can go wrong when choosing or loading cases.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CasesError {
    /// An empty pattern in a list.
    #[error("empty case pattern")]
    EmptyPattern,
    /// A pattern with a character that cannot occur in a case id.
    #[error("bad case pattern {pattern:?}: {character:?} is not a digit, '.' or '*'")]
    BadPattern {
        /// The pattern.
        pattern: String,
        /// The offending character.
        character: char,
    },
    /// A pattern that selects no case.
    #[error("case pattern {0:?} matches no case")]
    NoMatch(String),
}
