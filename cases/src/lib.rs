//! The wsconform case catalogue: every conformance case as data.
