//! Small string helpers: comparing short strings (names, codes, lot numbers) byte by
//! byte, and bytes as hex.
//!
//! The derived comparisons of `str` call the C library's `memcmp`; for strings of a few
//! bytes the call costs far more than the comparison. Parsing and validating a
//! 10,000-lot message makes about a million such comparisons, and doing them here made
//! it twice as fast (see the benchmark figures in `docs/performance.md`). The results are the same
//! as `==` and `cmp` on `str`.

use std::cmp::Ordering;

/// Whether two strings are equal.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// Lexicographic byte order, as `<[u8]>::cmp`.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.iter()
        .zip(b)
        .find(|(x, y)| x != y)
        .map_or_else(|| a.len().cmp(&b.len()), |(x, y)| x.cmp(y))
}

/// Bytes as lower-case hex, two digits each (digests in ids, JSON and logs).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_the_standard_comparisons() {
        let words = [
            "",
            "a",
            "b",
            "ab",
            "abc",
            "B",
            "é",
            "a\u{0}",
            "urn:hl7-org:v3",
        ];
        for a in words {
            for b in words {
                assert_eq!(same(a, b), a == b, "{a:?} {b:?}");
                assert_eq!(compare(a, b), a.cmp(b), "{a:?} {b:?}");
            }
        }
    }
}
