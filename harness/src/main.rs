//! The `wsconform` command line.
fn main() {}
