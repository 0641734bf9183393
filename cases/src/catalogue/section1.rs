//! Section 1 of the catalogue.

use crate::model::Case;

/// The cases of section 1.
pub fn cases() -> Vec<Case> {
    Vec::new()
}
