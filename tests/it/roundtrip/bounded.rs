//! Bounded work on hostile sizes: many invalid lots, very wide and very deep documents,
//! many attributes. Each is refused or rejected with a report of at most
//! [`MAX_ISSUES`] issues.

use super::assert_answers_are_well_formed;
use lotgate::sample;
use lotgate::validate::{self, MAX_ISSUES, Options, Outcome, Rule, Verdict};
use lotgate::wire::soap;

/// The sample envelope with one lot, its `product` elements replaced by `products`.
fn with_products(products: &str) -> String {
    let envelope = soap::message_envelope(&sample::message(1));
    let start = envelope.find("<product ").expect("a product");
    let end = envelope.rfind("</product>").expect("a product end") + "</product>".len();
    format!("{}{products}{}", &envelope[..start], &envelope[end..])
}

/// One valid `product` with lot number `number` (already escaped).
fn product(number: &str) -> String {
    let envelope = soap::message_envelope(&sample::message(1));
    let start = envelope.find("<product ").expect("a product");
    let end = envelope.rfind("</product>").expect("a product end") + "</product>".len();
    let one = &envelope[start..end];
    let lot = sample::lot_set(1).lots()[0].number.to_string();
    one.replace(
        &format!("extension=\"{lot}\""),
        &format!("extension=\"{number}\""),
    )
}

#[test]
fn the_template_product_is_valid() {
    let input = with_products(&product("X1"));
    let outcome = validate::check(input.as_bytes(), &Options::default());
    assert_eq!(outcome.verdict(), Verdict::Accept, "{:#?}", outcome.report);
}

#[test]
fn twenty_thousand_invalid_lots_give_a_bounded_report() {
    let blank = product(" ");
    let input = with_products(&blank.repeat(20_000));
    let outcome = validate::check(input.as_bytes(), &Options::default());
    assert_eq!(outcome.verdict(), Verdict::CommitError);
    let report = &outcome.report;
    assert_eq!(report.issues().len(), MAX_ISSUES);
    assert!(report.issues().iter().all(|i| i.rule == Rule::LotBlank));
    assert_eq!(report.issues().len() + report.dropped(), 20_000);
    assert_answers_are_well_formed(&outcome);
}

/// Validates hostile input, which must not be accepted, and checks the answer.
fn refused(input: &str) -> Outcome {
    let outcome = validate::check(input.as_bytes(), &Options::default());
    assert_ne!(outcome.verdict(), Verdict::Accept);
    assert!(outcome.report.issues().len() <= MAX_ISSUES);
    assert_answers_are_well_formed(&outcome);
    outcome
}

#[test]
fn half_a_million_empty_products_are_rejected() {
    let outcome = refused(&with_products(&"<product/>".repeat(500_000)));
    assert_eq!(outcome.verdict(), Verdict::CommitError);
    assert!(outcome.report.dropped() > 0);
}

#[test]
fn half_a_million_foreign_siblings_are_rejected() {
    let outcome = refused(&with_products(&"<x/>".repeat(500_000)));
    assert_eq!(outcome.verdict(), Verdict::CommitError);
}

#[test]
fn two_hundred_thousand_attributes_are_refused_or_rejected() {
    // Split over elements at the per-element limit (32 with typeCode): parsed, then
    // rejected.
    let attrs: String = (1..32).map(|i| format!(" a{i}=\"v\"")).collect();
    let split = format!("<product typeCode=\"PRD\"{attrs}/>").repeat(200_000 / 32);
    assert_eq!(
        refused(&with_products(&split)).verdict(),
        Verdict::CommitError
    );
    // All on one element: refused by the parser.
    let attrs: String = (0..200_000).map(|i| format!(" a{i}=\"v\"")).collect();
    let one = format!("<product typeCode=\"PRD\"{attrs}/>");
    assert_eq!(refused(&with_products(&one)).verdict(), Verdict::Unusable);
}

#[test]
fn half_a_million_levels_of_nesting_are_refused() {
    let deep = format!("{}{}", "<a>".repeat(500_000), "</a>".repeat(500_000));
    assert_eq!(refused(&with_products(&deep)).verdict(), Verdict::Unusable);
}
