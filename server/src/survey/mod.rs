//! Survey data: the interchange file layout shared by imports, exports and the
//! analytics command line.

pub mod cli;
pub mod interchange;
