//! Section 9 of the catalogue.

use crate::model::Case;

/// The cases of section 9.
pub fn cases() -> Vec<Case> {
    Vec::new()
}
