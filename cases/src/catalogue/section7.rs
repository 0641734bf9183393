//! Section 7 of the catalogue.

use crate::model::Case;

/// The cases of section 7.
pub fn cases() -> Vec<Case> {
    Vec::new()
}
