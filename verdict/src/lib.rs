//! The verdicts of a case, with Autobahn|Testsuite's values: what the judge
//! of the catalogue (ws-cases) gives and what the reports (ws-reports) show,
//! one definition for both.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A verdict string that is none of the values Autobahn defines.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown verdict {value:?}")]
pub struct UnknownVerdict {
    /// The string that was not recognised.
    pub value: String,
}

/// The value of `all` whose Autobahn string is exactly `s`.
fn named<T: Copy>(all: &[T], as_str: fn(T) -> &'static str, s: &str) -> Result<T, UnknownVerdict> {
    all.iter()
        .copied()
        .find(|&v| as_str(v) == s)
        .ok_or_else(|| UnknownVerdict {
            value: s.to_owned(),
        })
}

/// The message-level verdict of a case, with Autobahn's values.
///
/// The declaration order is the *severity* order used for gating and regression checks, and
/// the derived `Ord` follows it: `Ok < Informational < NonStrict < Unimplemented < Failed`.
/// Informational ranks below non-strict because it records behaviour the RFC leaves open,
/// while non-strict departs from a SHOULD; unimplemented (a feature the peer does not offer)
/// ranks below failed (a broken MUST).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Behavior {
    /// The peer behaved exactly as expected.
    #[serde(rename = "OK")]
    Ok,
    /// Behaviour the RFC leaves unspecified, recorded for information.
    #[serde(rename = "INFORMATIONAL")]
    Informational,
    /// Conformant, but not the canonical (SHOULD-level) behaviour.
    #[serde(rename = "NON-STRICT")]
    NonStrict,
    /// The peer does not implement the tested feature (e.g. permessage-deflate).
    #[serde(rename = "UNIMPLEMENTED")]
    Unimplemented,
    /// The peer broke a MUST of the RFC.
    #[serde(rename = "FAILED")]
    Failed,
}

impl Behavior {
    /// Every value, in severity order.
    pub const ALL: [Behavior; 5] = [
        Behavior::Ok,
        Behavior::Informational,
        Behavior::NonStrict,
        Behavior::Unimplemented,
        Behavior::Failed,
    ];

    /// The exact string Autobahn writes for this verdict.
    pub fn as_str(self) -> &'static str {
        match self {
            Behavior::Ok => "OK",
            Behavior::Informational => "INFORMATIONAL",
            Behavior::NonStrict => "NON-STRICT",
            Behavior::Unimplemented => "UNIMPLEMENTED",
            Behavior::Failed => "FAILED",
        }
    }
}

impl fmt::Display for Behavior {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Behavior {
    type Err = UnknownVerdict;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        named(&Behavior::ALL, Behavior::as_str, s)
    }
}

/// The closing-handshake verdict of a case, with Autobahn's values.
///
/// The declaration order (and derived `Ord`) runs from best to worst in the same spirit as
/// [`Behavior`]; [`CloseBehavior::severity`] maps each value onto the `Behavior` scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CloseBehavior {
    /// The closing handshake went as expected.
    #[serde(rename = "OK")]
    Ok,
    /// Closing behaviour recorded for information only.
    #[serde(rename = "INFORMATIONAL")]
    Informational,
    /// The client (when the suite is the server) dropped TCP although the server should.
    #[serde(rename = "FAILED BY CLIENT")]
    FailedByClient,
    /// The peer closed with a code outside the expected set.
    #[serde(rename = "WRONG CODE")]
    WrongCode,
    /// A clean close was required but did not happen.
    #[serde(rename = "UNCLEAN")]
    Unclean,
    /// The wrong endpoint closed, or the opening handshake never completed.
    #[serde(rename = "FAILED")]
    Failed,
}

impl CloseBehavior {
    /// Every value, from best to worst.
    pub const ALL: [CloseBehavior; 6] = [
        CloseBehavior::Ok,
        CloseBehavior::Informational,
        CloseBehavior::FailedByClient,
        CloseBehavior::WrongCode,
        CloseBehavior::Unclean,
        CloseBehavior::Failed,
    ];

    /// The exact string Autobahn writes for this verdict.
    pub fn as_str(self) -> &'static str {
        match self {
            CloseBehavior::Ok => "OK",
            CloseBehavior::Informational => "INFORMATIONAL",
            CloseBehavior::FailedByClient => "FAILED BY CLIENT",
            CloseBehavior::WrongCode => "WRONG CODE",
            CloseBehavior::Unclean => "UNCLEAN",
            CloseBehavior::Failed => "FAILED",
        }
    }

    /// Whether the close verdict is one that downstream CI accepts (`OK` or `INFORMATIONAL`).
    pub fn is_acceptable(self) -> bool {
        matches!(self, CloseBehavior::Ok | CloseBehavior::Informational)
    }

    /// This close verdict on the [`Behavior`] severity scale, following the colours of
    /// Autobahn's report: `WRONG CODE` and `FAILED BY CLIENT` are shown as non-strict / almost
    /// passing, `UNCLEAN` and `FAILED` as failures.
    pub fn severity(self) -> Behavior {
        match self {
            CloseBehavior::Ok => Behavior::Ok,
            CloseBehavior::Informational => Behavior::Informational,
            CloseBehavior::FailedByClient | CloseBehavior::WrongCode => Behavior::NonStrict,
            CloseBehavior::Unclean | CloseBehavior::Failed => Behavior::Failed,
        }
    }
}

impl fmt::Display for CloseBehavior {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CloseBehavior {
    type Err = UnknownVerdict;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        named(&CloseBehavior::ALL, CloseBehavior::as_str, s)
    }
}
