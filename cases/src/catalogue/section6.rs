//! Section 6 of the catalogue.

use crate::model::Case;

/// The cases of section 6.
pub fn cases() -> Vec<Case> {
    Vec::new()
}
