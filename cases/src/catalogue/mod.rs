//! The catalogue: every case, section by section, in Autobahn's order.

use crate::model::Case;

pub mod deflate_data;
pub use section15::probe_case;
mod section0;
mod section1;
mod section10;
mod section12;
mod section13;
mod section14;
mod section15;
mod section16;
mod section17;
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
    cases.extend(section12::cases());
    cases.extend(section13::cases());
    cases.extend(section14::cases());
    cases.extend(section15::cases());
    cases.extend(section16::cases());
    cases.extend(section17::cases());
    cases
}

/// The cases the suite can play in `role`, in catalogue order.
pub fn cases_for(role: crate::run::Role) -> Vec<Case> {
    all_cases()
        .into_iter()
        .filter(|c| c.plays_in(role))
        .collect()
}
