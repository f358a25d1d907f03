//! Finding lot numbers the way people type or scan them from a vial, pure. A lookup
//! matches exactly first (`LotSet::get`); then, through an [`Index`] built once per set,
//! after trimming and ignoring letter case ([`Index::normalized`]); and on a miss it
//! suggests lot numbers within a small edit distance ([`Index::suggestions`]), where the
//! confusions of reading a vial — `O`/`0`, `I`/`1`/`L`, `S`/`5`, `B`/`8`, `Z`/`2` — cost
//! half an ordinary edit. A suggestion is only ever offered, never taken as the answer.

use super::{Lot, LotSet, fold, fold_cmp};
use crate::vaccine::VaccineCode;

/// What an ordinary edit costs: a character inserted, left out, replaced by another, or
/// two neighbours swapped.
const EDIT: u32 = 2;

/// What replacing a character by one it is easily mistaken for on a vial costs.
const CONFUSION: u32 = 1;

/// The lot numbers of a set, folded ([`fold`]) and sorted, for the lookups that ignore
/// case. Built once when a set is put in place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Index {
    /// Each lot's folded number and its position in the set, in folded order (equal
    /// folded numbers in set order).
    folded: Vec<(Box<str>, u32)>,
}

impl Index {
    /// The index of `set`.
    pub fn new(set: &LotSet) -> Self {
        let mut folded: Vec<(Box<str>, u32)> = set
            .lots()
            .iter()
            .enumerate()
            .map(|(i, lot)| (fold(lot.number.as_str()).into_boxed_str(), i as u32))
            .collect();
        folded.sort();
        Self { folded }
    }

    /// The lots of `set` (the set this index was built from) whose number equals `asked`
    /// after trimming and ignoring letter case: none, one, or — when the set holds case
    /// variants of one number — several, in lot-number order.
    pub fn normalized<'a>(&self, set: &'a LotSet, asked: &str) -> Vec<&'a Lot> {
        let key = fold(asked);
        let start = self.folded.partition_point(|(k, _)| **k < *key);
        self.folded[start..]
            .iter()
            .take_while(|(k, _)| **k == *key)
            .filter_map(|(_, i)| set.lots().get(*i as usize))
            .collect()
    }

    /// The lots of `set` whose number starts with `prefix` ignoring letter case (and
    /// whitespace around the prefix), in that order.
    pub fn with_prefix<'a>(
        &'a self,
        set: &'a LotSet,
        prefix: &str,
    ) -> impl Iterator<Item = &'a Lot> + 'a {
        let key = fold(prefix);
        let start = self.folded.partition_point(|(k, _)| **k < *key);
        self.folded[start..]
            .iter()
            .take_while(move |(k, _)| k.starts_with(key.as_str()))
            .filter_map(|(_, i)| set.lots().get(*i as usize))
    }

    /// Up to `limit` lots of `set` whose number is close to `asked` (see
    /// [`distance`]): those of `vaccine` first (when asked for), then the others; each
    /// group closest first, then in lot-number order. Exact and normalized matches are
    /// included (at distance 0), so a caller asks only on a miss.
    pub fn suggestions<'a>(
        &self,
        set: &'a LotSet,
        asked: &str,
        vaccine: Option<VaccineCode>,
        limit: usize,
    ) -> Vec<&'a Lot> {
        let asked = fold(asked);
        let budget = budget(asked.chars().count());
        let asked_chars: Vec<char> = asked.chars().collect();
        let mut close: Vec<(bool, u32, &'a Lot)> = Vec::new();
        // Nearly every lot number is ASCII and walked byte by byte; the others (and all
        // of them when the asked number is not ASCII) character by character.
        let mut bytes = Walk::new(asked.as_bytes(), budget);
        let mut chars = Walk::new(&asked_chars, budget);
        let mut key_chars: Vec<char> = Vec::new();
        for (key, i) in &self.folded {
            let Some(lot) = set.lots().get(*i as usize) else {
                continue;
            };
            let cost = if asked.is_ascii() && key.is_ascii() {
                bytes.cost(key.as_bytes())
            } else {
                key_chars.clear();
                key_chars.extend(key.chars());
                chars.cost(&key_chars)
            };
            if let Some(cost) = cost {
                let other = vaccine.is_some_and(|v| lot.vaccine.code() != v);
                close.push((other, cost, lot));
            }
        }
        close.sort_by(|a, b| {
            (a.0, a.1)
                .cmp(&(b.0, b.1))
                .then_with(|| fold_cmp(a.2.number.as_str(), b.2.number.as_str()))
                .then_with(|| a.2.number.cmp(&b.2.number))
        });
        close
            .into_iter()
            .take(limit)
            .map(|(_, _, lot)| lot)
            .collect()
    }
}

/// How far a suggestion may be from a folded lot number of `chars` characters: one
/// ordinary edit (or two confusions) up to 5 characters, two edits (or four confusions)
/// from 6.
pub fn budget(chars: usize) -> u32 {
    if chars <= 5 { EDIT } else { 2 * EDIT }
}

/// The characters one is easily read as the other on a vial, folded (lower case): each
/// group one class.
fn class<T: Into<char> + Copy>(c: T) -> Option<u8> {
    match c.into() {
        'o' | '0' => Some(1),
        'i' | '1' | 'l' => Some(2),
        's' | '5' => Some(3),
        'b' | '8' => Some(4),
        'z' | '2' => Some(5),
        _ => None,
    }
}

/// The distances ([`distance`]) from one folded lot number — its bytes when it is ASCII,
/// else its characters — to keys given in sorted order, as in a walk through a trie of
/// the keys: the rows of the table for the characters a key shares with the one before
/// are kept, and once a row is beyond the budget every key that starts the same way is
/// passed over. Neighbours in a sorted set of lot numbers share most of their
/// characters, so most keys cost a row or two.
struct Walk<'a, T> {
    asked: &'a [T],
    budget: u32,
    /// The rows of the table, one per character of the key (row 0: none of it),
    /// `asked.len() + 1` cells each.
    rows: Vec<u32>,
    /// The key before.
    previous: Vec<T>,
    /// Rows `0..=valid` hold the key before's table.
    valid: usize,
    /// A row of the key before's table that is beyond the budget.
    dead: Option<usize>,
}

impl<'a, T: Into<char> + Copy + PartialEq> Walk<'a, T> {
    fn new(asked: &'a [T], budget: u32) -> Self {
        let width = asked.len() + 1;
        let beyond = budget + 1;
        let band = (budget / EDIT) as usize;
        let mut rows = vec![beyond; width];
        for (j, cell) in rows.iter_mut().enumerate().take(band + 1) {
            *cell = j as u32 * EDIT;
        }
        Self {
            asked,
            budget,
            rows,
            previous: Vec::new(),
            valid: 0,
            dead: None,
        }
    }

    /// [`distance`] from the asked lot number to `key`, which comes after the key before
    /// in sorted order (any order gives the same answers, only slower).
    fn cost(&mut self, key: &[T]) -> Option<u32> {
        let shared = self
            .previous
            .iter()
            .zip(key)
            .take_while(|(a, b)| a == b)
            .count();
        self.previous.clear();
        self.previous.extend_from_slice(key);
        if let Some(dead) = self.dead
            && shared >= dead
        {
            self.valid = dead;
            return None;
        }
        self.dead = None;
        self.valid = self.valid.min(shared);
        let (asked, budget) = (self.asked, self.budget);
        if asked.len().abs_diff(key.len()) as u32 * EDIT > budget {
            return None;
        }
        let width = asked.len() + 1;
        let beyond = budget + 1;
        let band = (budget / EDIT) as usize;
        if self.rows.len() < (key.len() + 1) * width {
            self.rows.resize((key.len() + 1) * width, beyond);
        }
        for d in self.valid + 1..=key.len() {
            let (done, rest) = self.rows.split_at_mut(d * width);
            let current = &mut rest[..width];
            let previous = &done[(d - 1) * width..];
            current.fill(beyond);
            if d <= band {
                current[0] = d as u32 * EDIT;
            }
            let mut least = current[0];
            let from = d.saturating_sub(band).max(1);
            for j in from..=(d + band).min(asked.len()) {
                let mut cost = (previous[j] + EDIT)
                    .min(current[j - 1] + EDIT)
                    .min(previous[j - 1] + replace(key[d - 1], asked[j - 1]));
                if d > 1 && j > 1 && key[d - 1] == asked[j - 2] && key[d - 2] == asked[j - 1] {
                    cost = cost.min(done[(d - 2) * width + j - 2] + EDIT);
                }
                let cost = cost.min(beyond);
                current[j] = cost;
                least = least.min(cost);
            }
            self.valid = d;
            if least > budget {
                self.dead = Some(d);
                return None;
            }
        }
        Some(self.rows[key.len() * width + asked.len()]).filter(|cost| *cost <= budget)
    }
}

/// The cost of replacing `a` by `b`.
fn replace<T: Into<char> + Copy + PartialEq>(a: T, b: T) -> u32 {
    if a == b {
        0
    } else if class(a).is_some() && class(a) == class(b) {
        CONFUSION
    } else {
        EDIT
    }
}

/// The edit distance between two folded lot numbers (optimal string alignment: insert,
/// leave out, replace, swap neighbours), a confusion costing [`CONFUSION`] and every
/// other edit [`EDIT`]; `None` as soon as it must exceed `budget`. Only the band of the
/// table that `budget` can reach is computed (at most `budget / EDIT` characters
/// inserted or left out).
pub fn distance<T: Into<char> + Copy + PartialEq>(a: &[T], b: &[T], budget: u32) -> Option<u32> {
    Walk::new(a, budget).cost(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lot::tests::lot;

    fn set(lots: &[(&str, &str)]) -> LotSet {
        LotSet::new(lots.iter().map(|(n, c)| lot(n, c)).collect()).unwrap()
    }

    fn numbers(lots: &[&Lot]) -> Vec<String> {
        lots.iter().map(|l| l.number.as_str().to_owned()).collect()
    }

    fn cost(a: &str, b: &str) -> Option<u32> {
        distance(fold(a).as_bytes(), fold(b).as_bytes(), 100)
    }

    #[test]
    fn every_confusion_of_a_vial_is_half_an_edit() {
        for (a, b) in [
            ("O", "0"),
            ("I", "1"),
            ("I", "L"),
            ("1", "L"),
            ("S", "5"),
            ("B", "8"),
            ("Z", "2"),
        ] {
            assert_eq!(
                cost(&format!("AX{a}7"), &format!("AX{b}7")),
                Some(CONFUSION)
            );
            assert_eq!(
                cost(&format!("AX{b}7"), &format!("AX{a}7")),
                Some(CONFUSION)
            );
        }
        assert_eq!(cost("AXO7", "AXQ7"), Some(EDIT), "Q is no confusion of O");
        assert_eq!(cost("ABC", "ABC"), Some(0));
        assert_eq!(cost("ABC", "AC"), Some(EDIT));
        assert_eq!(cost("ABC", "ABCD"), Some(EDIT));
        assert_eq!(cost("ABCD", "ABDC"), Some(EDIT), "neighbours swapped");
        assert_eq!(cost("abc", "ABC"), Some(0), "letter case is no edit");
    }

    #[test]
    fn the_budget_cuts_off_early_and_exactly() {
        let d = |b: &str| distance(fold("ASPNA186DF").as_bytes(), fold(b).as_bytes(), 4);
        assert_eq!(d("ASPNA186DF"), Some(0));
        assert_eq!(d("A5PNAL86DF"), Some(2), "two confusions");
        assert_eq!(d("A5PNALB6DF"), Some(3), "three confusions");
        assert_eq!(d("A5PNALB6DE"), None, "three confusions and an edit");
        assert_eq!(d("ASPNA186"), Some(4), "two left out");
        assert_eq!(d("ASPN"), None, "too short to be close");
        assert_eq!(d("QWERTYUIOP"), None);
        assert_eq!(budget(5), EDIT);
        assert_eq!(budget(6), 2 * EDIT);
    }

    /// The whole table, without a band or a cut-off: what [`distance`] must agree with.
    fn reference(a: &[u8], b: &[u8]) -> u32 {
        let mut d = vec![vec![0u32; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i as u32 * EDIT;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j as u32 * EDIT;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let mut cost = (d[i - 1][j] + EDIT)
                    .min(d[i][j - 1] + EDIT)
                    .min(d[i - 1][j - 1] + replace(a[i - 1], b[j - 1]));
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    cost = cost.min(d[i - 2][j - 2] + EDIT);
                }
                d[i][j] = cost;
            }
        }
        d[a.len()][b.len()]
    }

    #[test]
    fn the_band_and_the_cut_off_never_change_a_distance_within_the_budget() {
        // Every pair of strings up to 4 characters over letters that are and are not
        // confusions of each other, and each budget.
        let alphabet = b"o0ab8";
        let mut words: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..4 {
            let longer: Vec<Vec<u8>> = words
                .iter()
                .filter(|w| w.len() < 4)
                .flat_map(|w| {
                    alphabet.iter().map(move |c| {
                        let mut w = w.clone();
                        w.push(*c);
                        w
                    })
                })
                .collect();
            words.extend(longer);
            words.sort();
            words.dedup();
        }
        for budget in [2, 4] {
            for a in &words {
                let mut walk = Walk::new(a, budget);
                for b in &words {
                    let full = reference(a, b);
                    let expected = (full <= budget).then_some(full);
                    assert_eq!(walk.cost(b), expected, "walk {a:?} {b:?} {budget}");
                }
            }
        }
        for a in &words {
            for b in &words {
                let full = reference(a, b);
                for budget in [1, 2, 3, 4, 6] {
                    let expected = (full <= budget).then_some(full);
                    assert_eq!(distance(a, b, budget), expected, "{a:?} {b:?} {budget}");
                }
            }
        }
    }

    #[test]
    fn normalized_matches_trim_and_ignore_case() {
        let set = set(&[("ASPNA186DF", "08"), ("lg01", "02"), ("LG01", "02")]);
        let index = Index::new(&set);
        assert_eq!(
            numbers(&index.normalized(&set, " aspna186df ")),
            ["ASPNA186DF"]
        );
        assert_eq!(
            numbers(&index.normalized(&set, "Lg01")),
            ["LG01", "lg01"],
            "case variants are all returned: nothing picks one"
        );
        assert!(index.normalized(&set, "ASPNA186D").is_empty());
    }

    #[test]
    fn prefixes_ignore_case() {
        let set = set(&[("AS1", "08"), ("as2", "08"), ("B", "06"), ("Asz", "06")]);
        let index = Index::new(&set);
        let found: Vec<&Lot> = index.with_prefix(&set, "as").collect();
        assert_eq!(numbers(&found), ["AS1", "as2", "Asz"]);
        assert_eq!(index.with_prefix(&set, "Z").count(), 0);
        assert_eq!(index.with_prefix(&set, "").count(), 4);
    }

    #[test]
    fn suggestions_put_the_asked_vaccine_first_then_the_closest() {
        let set = set(&[
            ("ASPNA186DF", "08"),
            ("ASPNA186DE", "06"),
            ("ASPNA188DF", "08"),
            ("XYZ", "08"),
        ]);
        let index = Index::new(&set);
        let eight = VaccineCode::parse("08").ok();
        // O for 0 and a B for an 8: two confusions.
        let found = index.suggestions(&set, "ASPNA1B6DF", eight, 3);
        assert_eq!(numbers(&found), ["ASPNA186DF", "ASPNA188DF", "ASPNA186DE"]);
        let found = index.suggestions(&set, "ASPNA1B6DF", None, 3);
        assert_eq!(numbers(&found), ["ASPNA186DF", "ASPNA186DE", "ASPNA188DF"]);
        assert_eq!(index.suggestions(&set, "ASPNA1B6DF", eight, 1).len(), 1);
        assert!(index.suggestions(&set, "QQQQQQQQQQ", None, 3).is_empty());
    }

    #[test]
    fn lot_numbers_beyond_ascii_are_compared_by_character() {
        let set = set(&[("ÅSPNA186DF", "08"), ("ASPNA186DF", "08"), ("XYZ", "08")]);
        let index = Index::new(&set);
        // Asked beyond ASCII: every key by character; one left out, then that and Å for A.
        let found = index.suggestions(&set, "åspna186d", None, 3);
        assert_eq!(numbers(&found), ["ÅSPNA186DF", "ASPNA186DF"]);
        // Asked in ASCII: the ASCII keys by byte, the other by character, in one order.
        let found = index.suggestions(&set, "ASPNA186D", None, 3);
        assert_eq!(numbers(&found), ["ASPNA186DF", "ÅSPNA186DF"]);
        let chars = |s: &str| fold(s).chars().collect::<Vec<_>>();
        assert_eq!(distance(&chars("ÅB"), &chars("åb"), 2), Some(0));
        assert_eq!(distance(&chars("ÅB"), &chars("AB"), 2), Some(EDIT));
    }
}
