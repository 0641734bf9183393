//! Section 5 of the catalogue.

use crate::model::Case;

/// The cases of section 5.
pub fn cases() -> Vec<Case> {
    Vec::new()
}
