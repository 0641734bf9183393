//! JUnit XML: parsed by a real XML parser and checked against the common JUnit schema shape
//! (testsuites > testsuite[name,tests,failures,errors,skipped,time] >
//! testcase[name,classname,time] > failure | skipped).

mod common;

use roxmltree::{Document, Node};
use ws_reports::{render_junit, Behavior as B, CloseBehavior as C};

fn attr<'a>(node: Node<'a, '_>, name: &str) -> &'a str {
    node.attribute(name)
        .unwrap_or_else(|| panic!("<{}> lacks {name}", node.tag_name().name()))
}

fn num(node: Node<'_, '_>, name: &str) -> usize {
    attr(node, name)
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a count"))
}

fn secs(node: Node<'_, '_>) -> f64 {
    attr(node, "time").parse().expect("time is a decimal")
}

fn elements<'a, 'i>(node: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(|n| n.is_element())
}

/// Checks the schema shape and that every total matches its children; returns the suites.
fn check_structure(doc: &Document<'_>) {
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let (mut tests, mut failures, mut skipped, mut time) = (0, 0, 0, 0.0);
    for suite in elements(root) {
        assert_eq!(suite.tag_name().name(), "testsuite");
        attr(suite, "name");
        let (mut t, mut f, mut s, mut tm) = (0, 0, 0, 0.0);
        for child in elements(suite) {
            match child.tag_name().name() {
                "properties" => {
                    for p in elements(child) {
                        assert_eq!(p.tag_name().name(), "property");
                        attr(p, "name");
                        attr(p, "value");
                    }
                }
                "testcase" => {
                    attr(child, "name");
                    attr(child, "classname");
                    t += 1;
                    tm += secs(child);
                    let kids: Vec<_> = elements(child).map(|k| k.tag_name().name()).collect();
                    match kids.as_slice() {
                        [] | ["properties"] => {}
                        ["failure"] => f += 1,
                        ["skipped"] => s += 1,
                        other => panic!("unexpected testcase children {other:?}"),
                    }
                }
                other => panic!("unexpected <{other}> in testsuite"),
            }
        }
        assert_eq!(num(suite, "tests"), t);
        assert_eq!(num(suite, "failures"), f);
        assert_eq!(num(suite, "skipped"), s);
        assert_eq!(num(suite, "errors"), 0);
        assert!((secs(suite) - tm).abs() < 1e-6);
        tests += t;
        failures += f;
        skipped += s;
        time += tm;
    }
    assert_eq!(num(root, "tests"), tests);
    assert_eq!(num(root, "failures"), failures);
    assert_eq!(num(root, "skipped"), skipped);
    assert!((secs(root) - time).abs() < 1e-6);
}

#[test]
fn sections_become_suites_and_verdicts_map_to_junit_outcomes() {
    let mut run = common::every_verdict("srv/1.0");
    run.results[1].reason = "expected echo, got close 1002".into();
    let xml = render_junit(&run);
    let doc = Document::parse(&xml).expect("well-formed XML");
    check_structure(&doc);

    let root = doc.root_element();
    assert_eq!(num(root, "tests"), 8);
    assert_eq!(
        num(root, "failures"),
        3,
        "FAILED, and an UNCLEAN or FAILED close, fail"
    );
    assert_eq!(num(root, "skipped"), 1);
    let names: Vec<&str> = elements(root).map(|s| attr(s, "name")).collect();
    assert_eq!(
        names,
        [
            "section 1: Framing",
            "section 3: Reserved Bits",
            "section 5: Fragmentation",
            "section 7: Close Handling",
            "section 12: WebSocket Compression (different payloads)"
        ]
    );
    let case = |name: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("testcase") && attr(*n, "name").starts_with(name))
            .unwrap_or_else(|| panic!("no testcase {name}"))
    };
    assert_eq!(attr(case("1.1.2"), "name"), "1.1.2 Subsection 1.1");
    assert_eq!(attr(case("1.1.2"), "classname"), "srv_1_0.section_1");
    let failure = elements(case("1.1.2")).next().unwrap();
    assert_eq!(failure.tag_name().name(), "failure");
    assert_eq!(attr(failure, "message"), "expected echo, got close 1002");
    assert!(failure.text().unwrap().contains("behavior: FAILED"));
    for failing in ["5.19", "7.3.1"] {
        let first = elements(case(failing)).next().unwrap();
        assert_eq!(first.tag_name().name(), "failure", "{failing}");
    }
    assert_eq!(
        elements(case("12.1.1")).next().unwrap().tag_name().name(),
        "skipped"
    );
    // NON-STRICT, INFORMATIONAL and a WRONG CODE close pass with properties naming the
    // verdict.
    for (passing, name, value) in [
        ("3.2", "behavior", "NON-STRICT"),
        ("7.1.6", "behaviorClose", "INFORMATIONAL"),
        ("7.9.1", "behaviorClose", "WRONG CODE"),
    ] {
        let props = elements(case(passing)).next().unwrap();
        assert_eq!(props.tag_name().name(), "properties", "{passing}");
        let property = elements(props).find(|p| attr(*p, "name") == name).unwrap();
        assert_eq!(attr(property, "value"), value, "{passing}");
    }
    assert_eq!(elements(case("1.1.1")).count(), 0);
    // Durations are seconds.
    let ms = run.results[0].duration_ms as f64;
    assert!((secs(case("1.1.1")) - ms / 1000.0).abs() < 1e-9);
}

#[test]
fn markup_and_control_characters_are_escaped() {
    let mut run = common::run("a<&>\"'", &[("5.1", B::Failed, C::Ok)]);
    let c = &mut run.results[0];
    c.reason = "got \u{0}\u{1b}[31m <tag> & \"quotes\" \u{fffe}".into();
    c.result = "\u{7}bell]]>".into();
    c.section_title = "Frag</name>".into();
    let xml = render_junit(&run);
    // XML 1.0 forbids these characters even as references; they must not appear at all.
    for bad in ['\u{0}', '\u{1b}', '\u{7}', '\u{fffe}'] {
        assert!(!xml.contains(bad), "raw {bad:?} in output");
    }
    assert!(!xml.contains("&#0;") && !xml.contains("&#27;"));
    let doc = Document::parse(&xml).expect("well-formed XML");
    check_structure(&doc);
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(
        failure.attribute("message").unwrap(),
        "got \\u{0000}\\u{001B}[31m <tag> & \"quotes\" \\u{FFFE}"
    );
    assert!(failure.text().unwrap().contains("\\u{0007}bell]]>"));
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("name"), Some("section 5: Frag</name>"));
}

#[test]
fn an_empty_run_is_a_valid_empty_document() {
    let run = common::run("nobody", &[]);
    let xml = render_junit(&run);
    let doc = Document::parse(&xml).expect("well-formed XML");
    check_structure(&doc);
    assert_eq!(num(doc.root_element(), "tests"), 0);
}
