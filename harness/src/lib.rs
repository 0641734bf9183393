//! wsconform: the runner behind the `wsconform` command.
