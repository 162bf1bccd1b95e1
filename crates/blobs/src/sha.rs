//! [`Sha256Hex`]: a photo's name, the lowercase hex SHA-256 of its bytes.
//!
//! Only a value of this type ever becomes part of a file path or an object key: parsing it is the
//! one place that decides what a name may contain (64 characters `0-9a-f`, nothing else), so no
//! request can reach outside the store's directory (`../`, `/`, NUL, upper case duplicates).

use std::fmt;

use sha2::{Digest, Sha256};

/// A lowercase hex SHA-256 (64 characters `0-9a-f`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Hex(String);

/// A text that is not a lowercase hex SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a SHA-256 (64 lowercase hex characters)")]
pub struct BadHash;

impl Sha256Hex {
    /// Parses a name as devices send it. Upper case is refused rather than folded: a record holds
    /// the lowercase form, and one photo must have exactly one name.
    pub fn parse(text: &str) -> Result<Sha256Hex, BadHash> {
        let ok = text.len() == 64
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if ok {
            Ok(Sha256Hex(text.to_owned()))
        } else {
            Err(BadHash)
        }
    }

    /// The SHA-256 of `bytes`.
    pub fn of(bytes: &[u8]) -> Sha256Hex {
        Sha256Hex::from_digest(&Sha256::digest(bytes))
    }

    /// From a finished digest (32 bytes).
    pub(crate) fn from_digest(digest: &[u8]) -> Sha256Hex {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(64);
        for b in digest {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        Sha256Hex(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Hex({})", self.0)
    }
}

impl std::str::FromStr for Sha256Hex {
    type Err = BadHash;
    fn from_str(s: &str) -> Result<Sha256Hex, BadHash> {
        Sha256Hex::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            Sha256Hex::of(b"abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn parse_accepts_only_64_lowercase_hex() {
        let good = Sha256Hex::of(b"x");
        assert_eq!(Sha256Hex::parse(good.as_str()), Ok(good.clone()));
        for bad in [
            String::new(),
            good.as_str()[..63].to_owned(),
            format!("{good}0"),
            good.as_str().to_uppercase(),
            format!("../{}", &good.as_str()[3..]),
            format!("{}/", &good.as_str()[1..]),
            format!("{}\0", &good.as_str()[1..]),
            format!("{}g", &good.as_str()[1..]),
            // 64 bytes but not 64 ASCII characters.
            format!("é{}", &good.as_str()[2..]),
        ] {
            assert_eq!(Sha256Hex::parse(&bad), Err(BadHash), "{bad:?}");
        }
    }
}
