//! The crate-wide error: every precise error of ws-spec in one enum, for
//! callers that handle them together.

use crate::{close::CloseError, frame::FrameError, utf8::Utf8Error};

/// Any error ws-spec reports; each variant wraps a module's precise error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Frame decoding failed.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// Text was not valid UTF-8.
    #[error(transparent)]
    Utf8(#[from] Utf8Error),
    /// A close payload was unacceptable.
    #[error(transparent)]
    Close(#[from] CloseError),
}
