//! wsconform result model and its renderings.
