//! Gating without a baseline (`--fail-on`) and with one (regressions only).

mod common;

use ws_reports::{
    compare, failing_cases, Baseline, Behavior as B, CloseBehavior as C, FailOn, ReportError,
};

fn ids<'a>(cases: impl IntoIterator<Item = &'a ws_reports::CaseResult>) -> Vec<&'a str> {
    cases.into_iter().map(|c| c.id.as_str()).collect()
}

#[test]
fn behavior_severity_order_is_documented_order() {
    assert!(B::Ok < B::Informational);
    assert!(B::Informational < B::NonStrict);
    assert!(B::NonStrict < B::Unimplemented);
    assert!(B::Unimplemented < B::Failed);
    assert_eq!(
        B::ALL.map(|b| b.to_string()),
        [
            "OK",
            "INFORMATIONAL",
            "NON-STRICT",
            "UNIMPLEMENTED",
            "FAILED"
        ]
    );
    assert_eq!(serde_json::to_value(B::NonStrict).unwrap(), "NON-STRICT");
    assert_eq!(
        serde_json::to_value(C::FailedByClient).unwrap(),
        "FAILED BY CLIENT"
    );
    assert_eq!("WRONG CODE".parse::<C>().unwrap(), C::WrongCode);
    assert!("PASS".parse::<B>().is_err());
}

#[test]
fn fail_on_levels_select_increasingly_many_cases() {
    let run = common::every_verdict("a");
    // FAILED behavior, UNCLEAN close, FAILED close.
    assert_eq!(
        ids(failing_cases(&run, FailOn::Failed)),
        ["1.1.2", "5.19", "7.3.1"]
    );
    // And NON-STRICT, WRONG CODE, UNIMPLEMENTED.
    assert_eq!(
        ids(failing_cases(&run, FailOn::NonStrict)),
        ["1.1.2", "3.2", "5.19", "7.3.1", "7.9.1", "12.1.1"]
    );
    // And INFORMATIONAL; only OK/OK passes.
    assert_eq!(
        ids(failing_cases(&run, FailOn::Informational)),
        ["1.1.2", "3.2", "5.19", "7.1.6", "7.3.1", "7.9.1", "12.1.1"]
    );
    assert_eq!("non-strict".parse::<FailOn>().unwrap(), FailOn::NonStrict);
    assert!("sometimes".parse::<FailOn>().is_err());
}

#[test]
fn baseline_text_round_trips_and_is_sorted_by_case_id() {
    let run = common::run(
        "srv",
        &[
            ("1.1.10", B::Ok, C::Ok),
            ("1.1.9", B::NonStrict, C::FailedByClient),
            ("7.1.6", B::Informational, C::Informational),
        ],
    );
    let base = Baseline::from_run(&run);
    let text = base.to_text(Some("srv"));
    assert_eq!(
        text,
        "# wsconform baseline v1\n# agent: srv\n1.1.9\tNON-STRICT\tFAILED BY CLIENT\n1.1.10\tOK\tOK\n7.1.6\tINFORMATIONAL\tINFORMATIONAL\n"
    );
    assert_eq!(Baseline::parse(&text).unwrap(), base);

    let path = std::env::temp_dir().join(format!("ws-reports-{}-baseline.txt", std::process::id()));
    base.write(&path, None).unwrap();
    assert_eq!(Baseline::read(&path).unwrap(), base);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn baseline_syntax_errors_name_the_line() {
    let err = Baseline::parse("# c\n1.1.1\tOK\tOK\n1.1.2\tOK\n").unwrap_err();
    assert!(
        matches!(err, ReportError::BaselineSyntax { line: 3, .. }),
        "{err}"
    );
    let err = Baseline::parse("1.1.1\tGOOD\tOK\n").unwrap_err();
    assert!(
        matches!(err, ReportError::BaselineSyntax { line: 1, .. }),
        "{err}"
    );
    let err = Baseline::parse("1.1.1\tOK\tOK\n1.1.1\tOK\tOK\n").unwrap_err();
    assert!(err.to_string().contains("twice"), "{err}");
}

#[test]
fn comparison_finds_regressions_improvements_new_and_missing() {
    // Each case's accepted verdicts and its verdicts now; None where the run lacks it.
    let ok = Some((B::Ok, C::Ok));
    let wrong_code = Some((B::Ok, C::WrongCode));
    let cases = [
        ("1.1.1", ok, ok),                                              // unchanged
        ("2.1", Some((B::NonStrict, C::Ok)), Some((B::Failed, C::Ok))), // worse behavior
        ("3.1", Some((B::Failed, C::Unclean)), ok),                     // better
        ("4.1", ok, wrong_code),                                        // close left OK: worse
        ("5.1", wrong_code, Some((B::Ok, C::Unclean))), // non-OK close to another non-OK close
        ("6.1", ok, Some((B::Ok, C::Informational))),   // OK close to INFORMATIONAL close
        ("9.1", ok, None),                              // missing
        ("10.1", None, Some((B::Failed, C::Ok))),       // new
    ];
    let run_of = |side: fn(&(&'static str, _, _)) -> Option<(B, C)>| {
        let verdicts: Vec<(&str, B, C)> = cases
            .iter()
            .filter_map(|case| side(case).map(|(b, c)| (case.0, b, c)))
            .collect();
        common::run("srv", &verdicts)
    };
    let accepted = run_of(|case| case.1);
    let now = run_of(|case| case.2);
    let base = Baseline::from_run(&accepted);
    let cmp = compare(&base, &now);
    let ids = |v: &[ws_reports::CaseChange]| v.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&cmp.regressions), ["2.1", "4.1"]);
    assert_eq!(ids(&cmp.improvements), ["3.1"]);
    assert_eq!(ids(&cmp.other_changes), ["5.1", "6.1"]);
    assert_eq!(cmp.new_cases, ["10.1"]);
    assert_eq!(cmp.missing_cases, ["9.1"]);
    assert!(cmp.has_regressions());
    assert_eq!(cmp.regressions[0].baseline, (B::NonStrict, C::Ok));
    assert_eq!(cmp.regressions[0].current, (B::Failed, C::Ok));

    // Against itself nothing changes.
    let same = compare(&base, &accepted);
    assert!(!same.has_regressions());
    assert!(
        same.improvements.is_empty() && same.new_cases.is_empty() && same.missing_cases.is_empty()
    );
}

#[test]
fn worse_behavior_with_better_close_is_still_a_regression() {
    let base = Baseline::from_run(&common::run("a", &[("1.1", B::Ok, C::WrongCode)]));
    let now = common::run("a", &[("1.1", B::NonStrict, C::Ok)]);
    let cmp = compare(&base, &now);
    assert_eq!(cmp.regressions.len(), 1);
    assert!(cmp.improvements.is_empty());
}
