//! Section 3 of the catalogue.

use crate::model::Case;

/// The cases of section 3.
pub fn cases() -> Vec<Case> {
    Vec::new()
}
