//! The architecture page names the rule the code makes by default.

#[test]
fn architecture_names_the_default_rule_of_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/ARCHITECTURE.md");
    let page = std::fs::read_to_string(path).expect("docs/ARCHITECTURE.md");
    let marker = "the default rule is `";
    let at = page
        .find(marker)
        .expect("ARCHITECTURE.md says which rule is the default (\"the default rule is `NAME`\")");
    let named: String = page[at + marker.len()..]
        .chars()
        .take_while(|c| *c != '`')
        .collect();
    assert_eq!(named, zcc_model::rules::DEFAULT_RULE);
}
