//! The other checks: notes and hashes, risks, references, header and settings, uniqueness, the
//! single-record path, the error cap, and a timing on a county of the planned size.

use super::*;

#[test]
fn a_risk_needs_a_note_and_files_need_hashes() {
    let (mut f, ids) = county();
    f.ds.visits[0].checks.housing.note = Some("  ".into());
    f.ds.visits[0].photos.push("IMG_0001.jpg".into());
    f.ds.visits[0].signature = Some("F".repeat(64));
    let es = errors(&f);
    assert_eq!(es.len(), 3, "{es:#?}");
    has(
        &es,
        "visit",
        ids.visit,
        "checks.housing.note",
        c::RISK_NEEDS_NOTE,
    );
    has(&es, "visit", ids.visit, "photos[1]", c::HASH_INVALID);
    has(&es, "visit", ids.visit, "signature", c::HASH_INVALID);
}

#[test]
fn a_visit_correction_needs_its_reason_and_only_a_correction_has_one() {
    let (mut f, _) = county();
    // visits[2] corrects visits[0] (see `county`).
    let correction = f.ds.visits[2].id;
    let plain = f.ds.visits[1].id;
    assert!(f.ds.visits[2].corrects.is_some());
    assert!(errors(&f).is_empty());

    f.ds.visits[2].correction_reason = None;
    only(
        &errors(&f),
        "visit",
        correction,
        "correction_reason",
        c::CORRECTION_REASON_REQUIRED,
    );
    f.ds.visits[2].correction_reason = Some(" \n ".into());
    only(
        &errors(&f),
        "visit",
        correction,
        "correction_reason",
        c::CORRECTION_REASON_REQUIRED,
    );
    f.ds.visits[2].correction_reason = Some("错".repeat(MAX_CORRECTION_REASON_CHARS + 1));
    only(
        &errors(&f),
        "visit",
        correction,
        "correction_reason",
        c::CORRECTION_REASON_TOO_LONG,
    );
    f.ds.visits[2].correction_reason = Some("错".repeat(MAX_CORRECTION_REASON_CHARS));
    assert!(errors(&f).is_empty());

    f.ds.visits[1].correction_reason = Some("没有更正什么".into());
    let es = errors(&f);
    only(
        &es,
        "visit",
        plain,
        "correction_reason",
        c::CORRECTION_REASON_WITHOUT_CORRECTS,
    );
    assert!(es[0].message_zh.contains("请"), "{es:#?}");
}

#[test]
fn household_risks_and_kinds_are_checked() {
    let (mut f, ids) = county();
    f.ds.households[0].risks = vec![
        Risk::Illness,
        Risk::Disability,
        Risk::Schooling,
        Risk::Disaster,
        Risk::Accident,
        Risk::Illness,
    ];
    f.ds.households[0].class_history[0].kind = None;
    f.ds.households[0].head_name = " ".into();
    let es = errors(&f);
    assert_eq!(es.len(), 4, "{es:#?}");
    has(&es, "household", ids.household, "risks", c::TOO_MANY_RISKS);
    has(
        &es,
        "household",
        ids.household,
        "risks[5]",
        c::DUPLICATE_RISK,
    );
    has(
        &es,
        "household",
        ids.household,
        "class_history[0].kind",
        c::KIND_REQUIRED,
    );
    has(&es, "household", ids.household, "head_name", c::REQUIRED);
    let (mut f, ids) = county();
    f.ds.households[0].class_history.clear();
    only(
        &errors(&f),
        "household",
        ids.household,
        "class_history",
        c::CLASS_HISTORY_EMPTY,
    );
}

#[test]
fn references_of_every_entity_are_checked() {
    let (mut f, ids) = county();
    let nobody = Uuid::from_u128(0xdead);
    f.ds.members[0].household_id = nobody;
    f.ds.visits[2].corrects = Some(ids.income); // an income record, not a visit
    f.ds.measures[0].plan_id = Some(nobody);
    f.ds.sign_replacements[0].pairing_id = f.pair(nobody, ids.cadre, d("2024-01-01"), None);
    f.ds.posts[0].unit_id = nobody;
    f.ds.contacts[0].person_id = nobody;
    let es = errors(&f);
    has(
        &es,
        "member",
        ids.member,
        "household_id",
        c::UNKNOWN_HOUSEHOLD,
    );
    has(
        &es,
        "visit",
        f.ds.visits[2].id,
        "corrects",
        c::CORRECTS_UNKNOWN,
    );
    has(
        &es,
        "measure",
        f.ds.measures[0].id,
        "plan_id",
        c::UNKNOWN_PLAN,
    );
    has(
        &es,
        "sign_replacement",
        ids.sign,
        "pairing_id",
        c::PAIRING_HOUSEHOLD_MISMATCH,
    );
    has(&es, "post", f.post, "unit_id", c::UNKNOWN_UNIT);
    has(
        &es,
        "contact",
        f.ds.contacts[0].id,
        "person_id",
        c::UNKNOWN_PERSON,
    );
    // And the extra pairing's household is unknown; the two people of the post are now in
    // another unit than their post.
    has(&es, "person", ids.cadre, "post_id", c::POST_NOT_IN_UNIT);
    assert_eq!(es.len(), 9, "{es:#?}");
}

#[test]
fn a_post_of_another_unit_is_refused() {
    let (mut f, ids) = county();
    let other = f.id();
    f.ds.units.push(Unit {
        id: other,
        name: "县教育局".into(),
    });
    if let Some(p) = f.ds.people.iter_mut().find(|p| p.id == ids.cadre) {
        p.unit_id = Some(other);
    }
    only(
        &errors(&f),
        "person",
        ids.cadre,
        "post_id",
        c::POST_NOT_IN_UNIT,
    );
}

#[test]
fn the_header_settings_and_monitoring_lines_are_checked() {
    let (mut f, _) = county();
    f.ds.version = DATASET_VERSION + 1;
    let es = errors(&f);
    only(
        &es,
        "dataset",
        Uuid::nil(),
        "version",
        c::DATASET_VERSION_NEWER,
    );
    assert!(es[0].message.contains("Upgrade bangfu"));
    assert!(es[0].message_zh.contains("升级"));

    let (mut f, _) = county();
    f.ds.format = "something-else".into();
    f.ds.settings.income_drop_percent = 150;
    f.ds.monitoring_lines.push(MonitoringLine {
        year: 2024,
        region_code: "360000".into(),
        yuan_per_person: 0,
        source: "赣乡振字〔2024〕1号".into(),
    });
    let es = errors(&f);
    assert_eq!(es.len(), 4, "{es:#?}");
    has(&es, "dataset", Uuid::nil(), "format", c::DATASET_FORMAT);
    has(
        &es,
        "dataset",
        Uuid::nil(),
        "settings.income_drop_percent",
        c::SETTING_OUT_OF_RANGE,
    );
    has(
        &es,
        "monitoring_line",
        Uuid::nil(),
        "monitoring_lines[1].yuan_per_person",
        c::MONITORING_LINE_NOT_POSITIVE,
    );
    has(
        &es,
        "monitoring_line",
        Uuid::nil(),
        "monitoring_lines[1]",
        c::DUPLICATE_MONITORING_LINE,
    );
}

#[test]
fn duplicate_ids_and_id_numbers_are_refused() {
    let (mut f, ids) = county();
    let copy = f.ds.households[0].clone();
    f.ds.households.push(copy);
    let mut twin = f.ds.members[0].clone();
    twin.id = f.id();
    let twin_id = twin.id;
    f.ds.members.push(twin);
    let es = errors(&f);
    assert_eq!(es.len(), 2, "{es:#?}");
    has(&es, "household", ids.household, "id", c::DUPLICATE_ID);
    has(&es, "member", twin_id, "id_number", c::DUPLICATE_ID_NUMBER);
}

/// A [`Refs`] over nothing: every reference is unknown.
struct NoRefs;

impl Refs for NoRefs {
    fn area(&self, _: Uuid) -> Option<crate::Area> {
        None
    }
    fn unit(&self, _: Uuid) -> Option<Unit> {
        None
    }
    fn post(&self, _: Uuid) -> Option<crate::Post> {
        None
    }
    fn person(&self, _: Uuid) -> Option<Person> {
        None
    }
    fn household(&self, _: Uuid) -> Option<Household> {
        None
    }
    fn pairing(&self, _: Uuid) -> Option<Pairing> {
        None
    }
    fn exists(&self, _: &'static str, _: Uuid) -> bool {
        false
    }
}

#[test]
fn one_record_is_checked_through_any_refs() {
    let (f, ids) = county();
    let visit = Record::Visit(f.ds.visits[0].clone());
    let es = validate_record(&visit, &NoRefs).expect_err("refs unknown");
    assert_eq!(es.len(), 2, "{es:#?}");
    has(
        &es,
        "visit",
        ids.visit,
        "household_id",
        c::UNKNOWN_HOUSEHOLD,
    );
    has(&es, "visit", ids.visit, "visitor_id", c::VISITOR_NOT_CADRE);
    let refs = DatasetRefs::new(&f.ds);
    assert_eq!(validate_record(&visit, &refs), Ok(()));
    let mut pairing = f.ds.pairings[0].clone();
    pairing.cadre_id = Uuid::from_u128(0xdead);
    let es = validate_record(&Record::Pairing(pairing), &refs).expect_err("unknown cadre");
    only(&es, "pairing", ids.pairing, "cadre_id", c::UNKNOWN_CADRE);
    let area = Record::Area(crate::Area {
        id: Uuid::from_u128(0xa),
        code: "360722100202".into(),
        name: "新村".into(),
        level: AreaLevel::Village,
        parent_id: Some(f.township),
    });
    assert_eq!(validate_record(&area, &refs), Ok(()));
    let grant = RoleGrant {
        role: Role::CountyOffice,
        area_id: None,
        from: d("2024-01-01"),
        to: None,
    };
    let mut person = f.ds.people[0].clone();
    person.roles.push(grant);
    let es = validate_record(&Record::Person(person), &refs).expect_err("area missing");
    only(
        &es,
        "person",
        f.first_secretary,
        "roles[1].area_id",
        c::MISSING_AREA,
    );
}

#[test]
fn errors_are_capped() {
    let (mut f, _) = county();
    let template = f.ds.visits[0].clone();
    for i in 0..(MAX_ERRORS + 10) {
        let mut v = template.clone();
        v.id = Uuid::from_u128(1_000_000 + i as u128);
        v.corrects = None;
        v.household_id = Uuid::nil();
        f.ds.visits.push(v);
    }
    let es = errors(&f);
    assert_eq!(es.len(), MAX_ERRORS + 1);
    assert_eq!(es[MAX_ERRORS].code, c::TOO_MANY_ERRORS);
}

/// A county of the planned size: 25,000 households, 200,000 visits. Run with
/// `cargo test --release -p bangfu-core validate -- --ignored --nocapture`.
#[test]
#[ignore = "timing on a county of the planned size"]
fn a_county_of_planned_size_validates_quickly() {
    let (mut f, _) = county();
    let template_h = f.ds.households[0].clone();
    let template_m = f.ds.members[0].clone();
    let template_p = f.ds.pairings[0].clone();
    let template_v = f.ds.visits[0].clone();
    let template_i = f.ds.income_records[0].clone();
    let mut n = 10_000_000u128;
    let mut next = || {
        n += 1;
        Uuid::from_u128(n)
    };
    for h in 0..25_000u32 {
        let hid = next();
        f.ds.households.push(Household {
            id: hid,
            ..template_h.clone()
        });
        for k in 0..3u32 {
            let serial = h * 3 + k;
            let birth = d("1940-01-01") + chrono::Days::new(u64::from(serial / 1000));
            let first17 = format!("360722{}{:03}", birth.format("%Y%m%d"), serial % 1000);
            f.ds.members.push(Member {
                id: next(),
                household_id: hid,
                id_number: id_number(&first17),
                ..template_m.clone()
            });
        }
        f.ds.pairings.push(Pairing {
            id: next(),
            household_id: hid,
            ..template_p.clone()
        });
        for _ in 0..8 {
            let mut v = template_v.clone();
            v.id = next();
            v.household_id = hid;
            f.ds.visits.push(v);
        }
        f.ds.income_records.push(IncomeRecord {
            id: next(),
            household_id: hid,
            ..template_i.clone()
        });
    }
    let t = std::time::Instant::now();
    let result = validate_dataset(&f.ds);
    let took = t.elapsed();
    println!(
        "validated {} households, {} visits in {took:?}",
        f.ds.households.len(),
        f.ds.visits.len()
    );
    assert_eq!(result, Ok(()));
}
