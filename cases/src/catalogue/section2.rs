//! Section 2 of the catalogue.

use crate::model::Case;

/// The cases of section 2.
pub fn cases() -> Vec<Case> {
    Vec::new()
}
