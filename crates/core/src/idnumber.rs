//! 18-character resident ID numbers (GB 11643-1999): structure, birth date and checksum.
//! ID numbers are personal data: never put one in a log or an error message, and mask it on screen.

use chrono::NaiveDate;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [u8; 11] = *b"10X98765432";

/// What is wrong with an ID number (the message never repeats the number itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("an ID number has 18 characters")]
    Length,
    #[error("the first 17 characters of an ID number are digits and the last is a digit or X")]
    Characters,
    #[error("characters 7–14 of an ID number are a birth date that does not exist")]
    BirthDate,
    #[error("the check character (the 18th) does not match the other 17: a digit was mistyped")]
    Checksum,
}

/// The check character for the first 17 digits.
pub fn check_char(first17: &[u8; 17]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(&c, w)| u32::from(c - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

/// Checks an ID number and returns the birth date it encodes. A lowercase `x` is accepted.
pub fn check(id: &str) -> Result<NaiveDate, IdNumberError> {
    let bytes = id.as_bytes();
    if bytes.len() != 18 {
        return Err(IdNumberError::Length);
    }
    let mut first17 = [0u8; 17];
    for (slot, &c) in first17.iter_mut().zip(&bytes[..17]) {
        if !c.is_ascii_digit() {
            return Err(IdNumberError::Characters);
        }
        *slot = c;
    }
    let last = bytes[17].to_ascii_uppercase();
    if !(last.is_ascii_digit() || last == b'X') {
        return Err(IdNumberError::Characters);
    }
    let digits = |r: std::ops::Range<usize>| -> u32 {
        first17[r]
            .iter()
            .fold(0, |acc, &c| acc * 10 + u32::from(c - b'0'))
    };
    let birth = NaiveDate::from_ymd_opt(digits(6..10) as i32, digits(10..12), digits(12..14))
        .ok_or(IdNumberError::BirthDate)?;
    if check_char(&first17) != last {
        return Err(IdNumberError::Checksum);
    }
    Ok(birth)
}

/// The number as shown on screen: the first 6 and last 4 characters, the rest as `*`.
pub fn mask(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 10 {
        return "*".repeat(chars.len());
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            if i < 6 || i >= chars.len() - 4 {
                c
            } else {
                '*'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_standard_example_and_lowercase_x() {
        // The example of GB 11643-1999.
        assert_eq!(
            check("11010519491231002X"),
            Ok(NaiveDate::from_ymd_opt(1949, 12, 31).expect("date"))
        );
        assert!(check("11010519491231002x").is_ok());
        assert!(check("440524188001010014").is_ok());
    }

    #[test]
    fn refuses_each_kind_of_mistake() {
        assert_eq!(check("110105194912310021"), Err(IdNumberError::Checksum));
        assert_eq!(check("11010519491231002"), Err(IdNumberError::Length));
        assert_eq!(check("1101051949123100AX"), Err(IdNumberError::Characters));
        assert_eq!(check("110105194902300025"), Err(IdNumberError::BirthDate));
        assert_eq!(check("一二三"), Err(IdNumberError::Length));
    }

    #[test]
    fn masks_all_but_region_and_tail() {
        assert_eq!(mask("11010519491231002X"), "110105********002X");
        assert_eq!(mask("123"), "***");
    }
}
