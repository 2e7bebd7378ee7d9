//! The keepalived.conf front end: lexical layer, preprocessor, keyword tables.

pub mod allow;
pub mod args;
pub mod decomment;
pub mod feed;
pub mod grammar;
pub mod include;
pub mod parser;
pub mod preproc;
pub mod words;
