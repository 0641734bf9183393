//! The `wsconform` command line.

fn main() {
    std::process::exit(wsconform::cli::main());
}
