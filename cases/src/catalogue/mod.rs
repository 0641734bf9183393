//! The catalogue: every case, section by section, in Autobahn's order.

use crate::model::Case;

mod section0;
mod section1;
mod section10;
mod section2;
mod section3;
mod section4;
mod section5;
mod section6;
mod section7;
mod section9;

/// Every case of the catalogue, ordered as Autobahn orders them.
pub fn all_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(section0::cases());
    cases.extend(section1::cases());
    cases.extend(section2::cases());
    cases.extend(section3::cases());
    cases.extend(section4::cases());
    cases.extend(section5::cases());
    cases.extend(section6::cases());
    cases.extend(section7::cases());
    cases.extend(section9::cases());
    cases.extend(section10::cases());
    cases
}
