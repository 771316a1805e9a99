//! The JUnit and JSON writers checked by parsing their output back (quick-xml, serde_json).

mod support;

use conformance::catalogue::{find, CATALOGUE};
use conformance::report::{Outcome, Report, JSON_SCHEMA};
use support::validate_junit;

fn hostile_report() -> Report {
    let mut r = Report::new("host<&>\"'", "xrpl", 1);
    for (i, c) in CATALOGUE.iter().enumerate() {
        let o = match i % 4 {
            0 => Outcome::Pass,
            1 => Outcome::Fail(format!("target said <b>&amp;</b> \"{}\" ]]> \u{0}\u{7}\u{1b}[0m\r\n", c.id)),
            2 => Outcome::Unsupported("needs --target-seed & more".into()),
            _ => Outcome::Skipped("'--slow'".into()),
        };
        r.push(*c, o, i as u64 * 1001);
    }
    r
}

#[test]
fn junit_is_well_formed_and_consistent() {
    let r = hostile_report();
    let counts = validate_junit(&r.to_junit()).unwrap();
    assert_eq!(counts.cases, CATALOGUE.len());
    assert_eq!(counts.failures, r.summary.failed);
    assert_eq!(counts.skipped, r.summary.unsupported + r.summary.skipped);
    for id in r.failed_ids() {
        assert!(counts.failed_names.iter().any(|n| n.starts_with(id)), "{id}");
    }
}

#[test]
fn junit_of_an_empty_run_is_valid() {
    let r = Report::new("t", "xrpl", 0);
    let c = validate_junit(&r.to_junit()).unwrap();
    assert_eq!(c.cases, 0);
}

#[test]
fn validator_rejects_broken_xml() {
    assert!(validate_junit("<testsuites><testsuite></testsuites>").is_err());
    assert!(
        validate_junit("<testsuites><testcase name=\"a\" classname=\"b\" time=\"0\"/></testsuites>").is_err()
    );
    assert!(validate_junit("<testsuites><testsuite name=\"a\" tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0\"></testsuite></testsuites>").is_err());
}

#[test]
fn json_round_trips_with_schema() {
    let r = hostile_report();
    let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(v["schema"], JSON_SCHEMA);
    assert_eq!(v["results"].as_array().unwrap().len(), CATALOGUE.len());
    let first_fail =
        v["results"].as_array().unwrap().iter().find(|x| x["outcome"]["status"] == "fail").unwrap();
    assert!(first_fail["outcome"]["detail"].as_str().unwrap().contains("<b>"));
    assert!(first_fail["section"].as_str().unwrap().contains('§'));
    assert!(find(first_fail["id"].as_str().unwrap()).is_some());
}

#[test]
fn json_report_matches_the_shipped_schema() {
    let schema: serde_json::Value = serde_json::from_str(include_str!("../report.schema.json")).unwrap();
    let r = hostile_report();
    let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(schema["properties"]["schema"]["const"], JSON_SCHEMA);
    for k in schema["required"].as_array().unwrap() {
        assert!(v.get(k.as_str().unwrap()).is_some(), "missing {k}");
    }
    let item = &schema["properties"]["results"]["items"];
    let enum_of = |path: &str| item.pointer(path).unwrap().as_array().unwrap().clone();
    for res in v["results"].as_array().unwrap() {
        for k in item["required"].as_array().unwrap() {
            assert!(res.get(k.as_str().unwrap()).is_some(), "result missing {k}");
        }
        assert!(enum_of("/properties/group/enum").contains(&res["group"]));
        assert!(enum_of("/properties/severity/enum").contains(&res["severity"]));
        assert!(enum_of("/properties/outcome/properties/status/enum").contains(&res["outcome"]["status"]));
    }
    for k in schema["properties"]["summary"]["required"].as_array().unwrap() {
        assert!(v["summary"][k.as_str().unwrap()].is_u64());
    }
}
