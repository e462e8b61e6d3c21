//! STANAG 6001 Standardized Language Profile: four levels 0-5 for listening, speaking, reading and
//! writing, each optionally followed by `+` (a "plus" level, half a step above).

use crate::error::{AppError, Result};

/// Levels in half steps (3+ = 7), in the order listening, speaking, reading, writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slp([u8; 4]);

impl Slp {
    pub fn parse(field: &str, text: &str) -> Result<Slp> {
        let mut levels = [0u8; 4];
        let mut chars = text.trim().chars().peekable();
        for level in levels.iter_mut() {
            let digit = chars
                .next()
                .and_then(|c| c.to_digit(10))
                .filter(|d| *d <= 5)
                .ok_or_else(|| bad(field, text))?;
            *level = (digit as u8) * 2;
            if chars.peek() == Some(&'+') {
                chars.next();
                *level += 1;
            }
        }
        if chars.next().is_some() {
            return Err(bad(field, text));
        }
        Ok(Slp(levels))
    }

    /// Whether every skill is at least the required level.
    pub fn meets(&self, required: &Slp) -> bool {
        self.0
            .iter()
            .zip(required.0.iter())
            .all(|(have, need)| have >= need)
    }
}

fn bad(field: &str, text: &str) -> AppError {
    AppError::invalid(
        field,
        format!("'{text}' is not a STANAG 6001 profile: four levels 0-5 (listening, speaking, reading, writing), e.g. 3321 or 2+2+11"),
    )
}

/// Normalises an SLP input (trimmed) after checking it.
pub fn normalise(field: &str, text: &str) -> Result<String> {
    Slp::parse(field, text)?;
    Ok(text.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_parse_with_plus_levels() {
        assert!(Slp::parse("slp", "3321").is_ok());
        assert!(Slp::parse("slp", "2+2+11").is_ok());
        assert!(Slp::parse("slp", "6321").is_err());
        assert!(Slp::parse("slp", "332").is_err());
        assert!(Slp::parse("slp", "33211").is_err());
        assert!(Slp::parse("slp", "+332").is_err());
    }

    #[test]
    fn a_plus_level_meets_the_plain_level_but_not_the_next() -> Result<()> {
        let have = Slp::parse("slp", "2+222")?;
        assert!(have.meets(&Slp::parse("slp", "2222")?));
        assert!(!have.meets(&Slp::parse("slp", "3222")?));
        Ok(())
    }
}
