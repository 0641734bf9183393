//! The one error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong while writing, reading, merging or parsing reports.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The path that was being read.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A file or directory could not be created, written or renamed into place.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The path that was being written.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A report file is not JSON of the expected shape.
    #[error("{path} is not a valid report file: {source}")]
    Json {
        /// The offending file.
        path: PathBuf,
        /// What serde_json objected to.
        source: serde_json::Error,
    },
    /// A report file parsed as JSON but its structure is not what Autobahn writes.
    #[error("{path}: {message}")]
    Malformed {
        /// The offending file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The same agent appears twice in one set of runs handed to a writer.
    #[error("agent {agent:?} appears more than once in the runs to write")]
    DuplicateAgent {
        /// The repeated agent name.
        agent: String,
    },
    /// The same case of one agent appears twice (within a run, or across merged shards).
    #[error("case {case} of agent {agent:?} appears more than once")]
    DuplicateCase {
        /// The agent whose case is repeated.
        agent: String,
        /// The repeated case id.
        case: String,
    },
    /// Two different agent names would share per-case report file names.
    #[error("agents {first:?} and {second:?} both map to the report file prefix {prefix:?}")]
    FilenameCollision {
        /// One agent.
        first: String,
        /// The other agent.
        second: String,
        /// The file name prefix both produce.
        prefix: String,
    },
    /// Shards of one agent disagree about run-level metadata, so they are not one run.
    #[error("cannot merge shards of agent {agent:?}: {field} differs ({first:?} vs {second:?})")]
    MergeMismatch {
        /// The agent being merged.
        agent: String,
        /// The metadata field that differs.
        field: &'static str,
        /// Its value in the first shard.
        first: String,
        /// Its value in the other shard.
        second: String,
    },
    /// A baseline file has a line that cannot be parsed.
    #[error("baseline line {line}: {message}")]
    BaselineSyntax {
        /// 1-based line number.
        line: usize,
        /// What is wrong with the line.
        message: String,
    },
    /// A case result carries a different agent name than the run it is in.
    #[error("case {case} in the run of agent {run_agent:?} names agent {case_agent:?}")]
    AgentMismatch {
        /// The run's agent.
        run_agent: String,
        /// The agent named by the case result.
        case_agent: String,
        /// The case id.
        case: String,
    },
}
