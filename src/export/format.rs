//! The export formats and languages as the command line names them. A leaf module: the settings
//! (`config.rs`) read it without depending on the reports.

use clap::ValueEnum;

use crate::service::lang::Language;

/// Output format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    pub fn parse(text: &str) -> Option<Format> {
        match text.trim().to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// `--lang`: en or fr.
pub fn parse_language(text: &str) -> std::result::Result<Language, String> {
    Language::parse(text)
        .ok_or_else(|| format!("'{text}' is not a language of the service: en or fr"))
}
