//! Section 10 of the catalogue.

use crate::model::Case;

/// The cases of section 10.
pub fn cases() -> Vec<Case> {
    Vec::new()
}
