//! Section 4 of the catalogue.

use crate::model::Case;

/// The cases of section 4.
pub fn cases() -> Vec<Case> {
    Vec::new()
}
