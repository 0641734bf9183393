//! References to the RFC clauses the rules come from, one type for ws-spec's
//! rules and the case catalogue alike.

/// Requirement level of an RFC clause (RFC 2119); it sets how a deviation is graded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    /// MUST / MUST NOT: a deviation is FAILED.
    Must,
    /// SHOULD / SHOULD NOT: a deviation is NON-STRICT.
    Should,
    /// MAY, or left open by the RFC: the outcome is INFORMATIONAL.
    May,
}

impl Level {
    /// The RFC 2119 keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        }
    }
}

/// An RFC clause: which RFC, which section, how strong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RfcRef {
    /// Which RFC, e.g. 6455.
    pub rfc: u16,
    /// Section, e.g. "5.5.2".
    pub section: &'static str,
    /// Requirement level of the clause.
    pub level: Level,
}

impl RfcRef {
    /// A MUST clause of RFC 6455.
    pub const fn rfc6455_must(section: &'static str) -> RfcRef {
        RfcRef {
            rfc: 6455,
            section,
            level: Level::Must,
        }
    }

    /// A MUST clause of RFC 7692.
    pub const fn rfc7692_must(section: &'static str) -> RfcRef {
        RfcRef {
            rfc: 7692,
            section,
            level: Level::Must,
        }
    }

    /// The clause cited without its level: "RFC 6455 §5.1".
    pub fn cite(&self) -> String {
        format!("RFC {} §{}", self.rfc, self.section)
    }
}

impl std::fmt::Display for RfcRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RFC {} §{} ({})",
            self.rfc,
            self.section,
            self.level.keyword()
        )
    }
}
