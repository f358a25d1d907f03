//! Reading the payload of a lot-number message: the product list with its validity
//! period and, per `product`, the lot number, expiry date and vaccine type.

use super::decoded::{DecodedMessage, Entry, PRODUCT_LIST_PATH};
use super::profile::{self, timestamp};
use super::*;
use crate::diagnostics::{Report, Rule};
use crate::ids::is_oid;
use crate::lot::{Lot, LotNumber};
use crate::message::Period;
use crate::timestamp::{Timestamp, parse_date};
use crate::vaccine::{CodeList, VACCINE_CODE_SYSTEM, VaccineCode, VaccineType};
use crate::xml::Element;

/// The code list a message's vaccine types are checked against, and the day they must
/// be valid on: the message's creation date.
#[derive(Debug, Clone, Copy)]
struct Codes<'a> {
    list: &'a CodeList,
    day: Option<chrono::NaiveDate>,
}

pub(super) fn read_product_list(
    list: Element<'_, '_>,
    codes: &CodeList,
    out: &mut DecodedMessage,
    report: &mut Report,
) {
    let codes = Codes {
        list: codes,
        day: out.created.as_ref().map(|t| t.local().date()),
    };
    profile::structure(report, list, &[("classCode", "LIST"), ("moodCode", "EVN")]);
    let kids = profile::children(list, profile::PRODUCT_LIST, report);
    if let Some(template) = kids.one("templateId") {
        profile::structure(report, template, &[("root", PRODUCT_LIST_TEMPLATE)]);
    }
    if let Some(code) = kids.one("code") {
        profile::fixed(report, Rule::ListCode, code, "code", PRODUCT_LIST_CODE);
        profile::fixed(report, Rule::ListCode, code, "codeSystem", SNOMED_CT);
        if code.attr("displayName").is_none_or(|d| d.trim().is_empty()) {
            report.add(
                Rule::ListCode,
                format!("{}/@displayName", profile::location(code)),
                "ProductList/code heeft geen displayName",
                "ProductList/code has no displayName",
            );
        }
    }
    match kids.one("effectiveTime") {
        Some(period) => out.period = read_period(period, report),
        None => report.add(
            Rule::ListEffectiveTime,
            format!("{PRODUCT_LIST_PATH}/effectiveTime"),
            "ProductList/effectiveTime ontbreekt",
            "ProductList/effectiveTime is missing",
        ),
    }
    out.products = kids.all("product").count();
    if out.products == 0 {
        report.add(
            Rule::ListEmpty,
            format!("{PRODUCT_LIST_PATH}/product"),
            "de lijst bevat geen enkel partijnummer (product)",
            "the list holds no lot number (product) at all",
        );
    }
    let products: Vec<Element<'_, '_>> = kids.all("product").collect();
    out.entries = read_products(&products, kids.hl7(), codes, report);
}

/// From this many products on, the second half is read on a second thread.
const PARALLEL_FROM: usize = 4096;

/// Reads every product. A large list is read in two halves at once (the machine this
/// runs on has at least two cores; a 10,000-lot list takes about a quarter less time),
/// and the halves' findings are joined in document order, so the result is the same as
/// reading them one after the other.
fn read_products(
    products: &[Element<'_, '_>],
    hl7: Option<u16>,
    codes: Codes<'_>,
    report: &mut Report,
) -> Vec<Entry> {
    let read = |products: &[Element<'_, '_>], first: usize, report: &mut Report| {
        let mut entries = Vec::with_capacity(products.len());
        for (i, product) in products.iter().enumerate() {
            let position = first + i;
            if let Some(lot) = read_product(*product, position, hl7, codes, report) {
                entries.push(Entry {
                    lot,
                    product: position,
                });
            }
        }
        entries
    };
    if products.len() < PARALLEL_FROM {
        return read(products, 1, report);
    }
    let (front, back) = products.split_at(products.len() / 2);
    let (mut entries, (back_entries, back_report)) = std::thread::scope(|scope| {
        let back_half = scope.spawn(|| {
            let mut back_report = Report::new();
            let entries = read(back, front.len() + 1, &mut back_report);
            (entries, back_report)
        });
        let entries = read(front, 1, report);
        // Reading never panics (fuzzed); should it, the panic goes on as it would have
        // on one thread.
        let back = back_half
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (entries, back)
    });
    entries.extend(back_entries);
    report.append(back_report);
    entries
}

fn read_period(period: Element<'_, '_>, report: &mut Report) -> Option<Period> {
    let kids = profile::children(period, profile::PERIOD, report);
    let location = profile::location(period);
    for extra in ["width", "center"] {
        if kids.one(extra).is_some() {
            report.add(
                Rule::ListEffectiveTime,
                format!("{location}/{extra}"),
                format!("effectiveTime mag geen {extra} hebben, alleen low en high"),
                format!("effectiveTime may not have {extra}, only low and high"),
            );
        }
    }
    let mut bound = |name: &str| match kids.one(name) {
        Some(e) => period_bound(e, report),
        None => {
            report.add(
                Rule::ListEffectiveTime,
                format!("{location}/{name}"),
                format!("effectiveTime/{name} ontbreekt"),
                format!("effectiveTime/{name} is missing"),
            );
            None
        }
    };
    let low = bound("low");
    let high = bound("high");
    let (low, high) = (low?, high?);
    if low.local() > high.local() {
        report.add(
            Rule::ListEffectiveTime,
            location,
            format!("effectiveTime/low ({low}) ligt na high ({high})"),
            format!("effectiveTime/low ({low}) is after high ({high})"),
        );
        return None;
    }
    Some(Period { low, high })
}

/// A bound of the list's period: like [`timestamp`] but reported as `list.effective-time`
/// when it has fewer than 14 digits.
fn period_bound(e: Element<'_, '_>, report: &mut Report) -> Option<Timestamp> {
    let value = e.attr("value").unwrap_or("");
    if value.len() < 14 && value.bytes().all(|b| b.is_ascii_digit()) {
        report.add(
            Rule::ListEffectiveTime,
            format!("{}/@value", profile::location(e)),
            format!(
                "effectiveTime/{} \"{value}\" moet tot op de seconde gaan (14 cijfers)",
                e.name()
            ),
            format!(
                "effectiveTime/{} \"{value}\" must be to the second (14 digits)",
                e.name()
            ),
        );
        return None;
    }
    timestamp(e, "value", report)
}

fn read_product(
    product: Element<'_, '_>,
    position: usize,
    hl7: Option<u16>,
    codes: Codes<'_>,
    report: &mut Report,
) -> Option<Lot> {
    profile::structure(report, product, &[("typeCode", "PRD")]);
    let kids = profile::children_in(product, profile::PRODUCT, hl7, report);
    let instance_of_kind = kids.one("instanceOfKind")?;
    profile::structure(report, instance_of_kind, &[("classCode", "INST")]);
    let kind_kids = profile::children_in(instance_of_kind, profile::INSTANCE_OF_KIND, hl7, report);
    let instance = kind_kids.one("productInstanceInstance")?;
    profile::structure(
        report,
        instance,
        &[("classCode", "MMAT"), ("determinerCode", "INSTANCE")],
    );
    let instance_kids = profile::children_in(instance, profile::PRODUCT_INSTANCE, hl7, report);
    let number = instance_kids
        .one("id")
        .and_then(|id| read_lot_number(id, position, report));
    let expires = match instance_kids.one("expirationTime") {
        Some(e) => read_expiry(e, hl7, report),
        None => Ok(None),
    };
    let vaccine = instance_kids
        .one("asInstanceOfKind")
        .and_then(|kind| read_vaccine(kind, hl7, codes, report));
    Some(Lot {
        number: number?,
        vaccine: vaccine?,
        expires: expires.ok()?,
    })
}

fn read_lot_number(id: Element<'_, '_>, position: usize, report: &mut Report) -> Option<LotNumber> {
    match (id.attr("nullFlavor"), id.attr("root")) {
        (Some(_), None) => {}
        (None, Some(root)) if is_oid(root) => {}
        _ => report.add(
            Rule::LotIdRoot,
            profile::location(id),
            "het id van een partij moet óf nullFlavor óf een OID als root hebben",
            "a lot id must have either a nullFlavor or an OID as root",
        ),
    }
    let location = || format!("{}/@extension", profile::location(id));
    let Some(extension) = id.attr("extension") else {
        report.add(
            Rule::LotMissing,
            location(),
            format!("product {position} heeft geen partijnummer (id/@extension)"),
            format!("product {position} has no lot number (id/@extension)"),
        );
        return None;
    };
    match crate::lot::rules::read_lot_number(extension) {
        Ok((number, whitespace)) => {
            if let Some((nl, en)) = whitespace {
                report.add(
                    Rule::LotWhitespace,
                    location(),
                    format!("product {position}: {nl}"),
                    format!("product {position}: {en}"),
                );
            }
            Some(number)
        }
        Err((rule, nl, en)) => {
            report.add(
                rule,
                location(),
                format!("product {position}: {nl}"),
                format!("product {position}: {en}"),
            );
            None
        }
    }
}

/// Reads `expirationTime`: only `high`, a date. `Err` when present but wrong.
fn read_expiry(
    e: Element<'_, '_>,
    hl7: Option<u16>,
    report: &mut Report,
) -> Result<Option<chrono::NaiveDate>, ()> {
    let kids = profile::children_in(e, profile::PERIOD, hl7, report);
    for extra in ["low", "width", "center"] {
        if let Some(x) = kids.one(extra) {
            report.add(
                Rule::LotExpiryFormat,
                profile::location(x),
                format!("expirationTime mag alleen high hebben, geen {extra}"),
                format!("expirationTime may only have high, not {extra}"),
            );
            return Err(());
        }
    }
    let Some(high) = kids.one("high") else {
        profile::missing(report, e, "high");
        return Err(());
    };
    let value = high.attr("value").unwrap_or("");
    match parse_date(value) {
        Some(date) => Ok(Some(date)),
        None => {
            report.add(
                Rule::LotExpiryFormat,
                format!("{}/@value", profile::location(high)),
                format!("vervaldatum \"{value}\" is geen datum JJJJMMDD"),
                format!("expiry \"{value}\" is not a date YYYYMMDD"),
            );
            Err(())
        }
    }
}

fn read_vaccine(
    kind: Element<'_, '_>,
    hl7: Option<u16>,
    codes: Codes<'_>,
    report: &mut Report,
) -> Option<VaccineType> {
    profile::structure(report, kind, &[("classCode", "INST")]);
    let kids = profile::children_in(kind, profile::AS_INSTANCE_OF_KIND, hl7, report);
    let material = kids.one("kindOfMaterialKind")?;
    profile::structure(
        report,
        material,
        &[("classCode", "MAT"), ("determinerCode", "KIND")],
    );
    let material_kids = profile::children_in(material, profile::MATERIAL_KIND, hl7, report);
    let code = material_kids.one("code")?;
    let system_ok = profile::fixed(
        report,
        Rule::VaccineCodeSystem,
        code,
        "codeSystem",
        VACCINE_CODE_SYSTEM,
    );
    let value = code.attr("code").unwrap_or("");
    let parsed = match VaccineCode::parse(value) {
        Ok(c) => Some(c),
        Err(_) => {
            let (nl, en) = crate::lot::rules::not_a_vaccine_code(value);
            report.add(
                Rule::VaccineCode,
                format!("{}/@code", profile::location(code)),
                nl,
                en,
            );
            None
        }
    };
    let name = code
        .attr("displayName")
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if name.is_none() {
        report.add(
            Rule::VaccineDisplayName,
            format!("{}/@displayName", profile::location(code)),
            format!("vaccinsoort {value} heeft geen displayName"),
            format!("vaccine type {value} has no displayName"),
        );
    }
    let code_value = parsed?;
    let known = codes.list.on(code_value, codes.day);
    if system_ok && let Some((nl, en)) = crate::lot::rules::code_not_valid(code_value, known) {
        report.add(
            Rule::VaccineUnknownCode,
            format!("{}/@code", profile::location(code)),
            nl,
            en,
        );
    }
    if !system_ok {
        return None;
    }
    Some(VaccineType::new(code_value, name?))
}
