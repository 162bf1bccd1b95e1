//! The kinds of bad input the validation issue lists, a valid county, and no personal data in any
//! message.

use super::*;

#[test]
fn a_valid_small_county_passes() {
    let (f, _) = county();
    assert_eq!(validate_dataset(&f.ds), Ok(()));
    // And each record passes alone against the dataset.
    let refs = DatasetRefs::new(&f.ds);
    let ds = &f.ds;
    let records = ds
        .areas
        .iter()
        .cloned()
        .map(Record::Area)
        .chain(ds.people.iter().cloned().map(Record::Person))
        .chain(ds.households.iter().cloned().map(Record::Household))
        .chain(ds.members.iter().cloned().map(Record::Member))
        .chain(ds.pairings.iter().cloned().map(Record::Pairing))
        .chain(ds.visits.iter().cloned().map(Record::Visit))
        .chain(ds.income_records.iter().cloned().map(Record::IncomeRecord))
        .chain(
            ds.sign_replacements
                .iter()
                .cloned()
                .map(Record::SignReplacement),
        )
        .chain(ds.measures.iter().cloned().map(Record::Measure));
    for record in records {
        assert_eq!(validate_record(&record, &refs), Ok(()), "{record:?}");
    }
}

#[test]
fn a_wrong_id_checksum_is_refused() {
    let (mut f, ids) = county();
    let good = id_number("36072219700101123");
    let last = if good.ends_with('0') { '1' } else { '0' };
    f.ds.members[0].id_number = format!("{}{last}", &good[..17]);
    only(
        &errors(&f),
        "member",
        ids.member,
        "id_number",
        c::ID_NUMBER_CHECKSUM,
    );
    for (bad, code) in [
        ("3607221970010112", c::ID_NUMBER_LENGTH),
        ("36072219700101A23X", c::ID_NUMBER_CHARACTERS),
        ("360722197002301234", c::ID_NUMBER_BIRTH_DATE),
    ] {
        f.ds.members[0].id_number = bad.into();
        only(&errors(&f), "member", ids.member, "id_number", code);
    }
    f.ds.members[0].id_number = id_number("36072218800101123");
    only(
        &errors(&f),
        "member",
        ids.member,
        "id_number",
        c::ID_NUMBER_BIRTH_DATE,
    );
}

#[test]
fn an_impossible_date_is_refused() {
    // A pairing that ends before it starts.
    let (mut f, ids) = county();
    f.ds.pairings[0].end = Some(d("2023-12-31"));
    only(
        &errors(&f),
        "pairing",
        ids.pairing,
        "end",
        c::END_BEFORE_START,
    );

    // A visit dated 1999 by the phone's clock.
    let (mut f, ids) = county();
    f.ds.visits[0].visited_at = noon(d("1999-12-31"));
    let es = errors(&f);
    has(&es, "visit", ids.visit, "visited_at", c::DATE_OUT_OF_RANGE);

    // Income collected before its quarter began; an evaluation before its quarter.
    let (mut f, ids) = county();
    f.ds.income_records[0].collected_on = d("2023-12-28");
    f.ds.evaluations[0].evaluated_on = d("2023-12-28");
    let es = errors(&f);
    assert_eq!(es.len(), 2, "{es:#?}");
    has(
        &es,
        "income_record",
        ids.income,
        "collected_on",
        c::COLLECTED_BEFORE_PERIOD,
    );
    has(
        &es,
        "evaluation",
        ids.evaluation,
        "evaluated_on",
        c::EVALUATED_BEFORE_PERIOD,
    );

    // Class history out of order, a role that ends before it starts, a date after 2100.
    let (mut f, ids) = county();
    f.reclass(
        ids.household,
        d("2020-06-01"),
        crate::HouseholdClass::Lifted,
        None,
    );
    let township = f.township;
    let station = f.person(
        "站员",
        Role::TownshipStation,
        Some(township),
        d("2020-01-01"),
    );
    if let Some(p) = f.ds.people.iter_mut().find(|p| p.id == station) {
        p.roles[0].to = Some(d("2019-01-01"));
    }
    f.ds.plans[0].created_on = NaiveDate::from_ymd_opt(2101, 1, 1).expect("date");
    let es = errors(&f);
    assert_eq!(es.len(), 3, "{es:#?}");
    has(
        &es,
        "household",
        ids.household,
        "class_history[1].from",
        c::CLASS_HISTORY_ORDER,
    );
    has(&es, "person", station, "roles[0].to", c::END_BEFORE_START);
    has(&es, "plan", ids.plan, "created_on", c::DATE_OUT_OF_RANGE);
}

#[test]
fn negative_money_is_refused() {
    let (mut f, ids) = county();
    f.ds.income_records[0].items[0].amount_fen = -1;
    f.ds.income_records[0].rigid_expense_fen = -500;
    let es = errors(&f);
    assert_eq!(es.len(), 2, "{es:#?}");
    has(
        &es,
        "income_record",
        ids.income,
        "items[0].amount_fen",
        c::NEGATIVE_MONEY,
    );
    has(
        &es,
        "income_record",
        ids.income,
        "rigid_expense_fen",
        c::NEGATIVE_MONEY,
    );

    let (mut f, _) = county();
    f.ds.consumption_purchases[0].amount_fen = -300_000;
    let id = f.ds.consumption_purchases[0].id;
    only(
        &errors(&f),
        "consumption_purchase",
        id,
        "amount_fen",
        c::NEGATIVE_MONEY,
    );
}

#[test]
fn a_household_of_0_people_is_refused() {
    let (mut f, ids) = county();
    f.ds.income_records[0].household_size = 0;
    only(
        &errors(&f),
        "income_record",
        ids.income,
        "household_size",
        c::HOUSEHOLD_SIZE_ZERO,
    );
    f.ds.income_records[0].household_size = 51;
    only(
        &errors(&f),
        "income_record",
        ids.income,
        "household_size",
        c::HOUSEHOLD_SIZE_IMPLAUSIBLE,
    );
}

#[test]
fn an_unknown_area_is_refused() {
    let (mut f, ids) = county();
    f.ds.households[0].village_id = Uuid::from_u128(0xdead);
    only(
        &errors(&f),
        "household",
        ids.household,
        "village_id",
        c::UNKNOWN_AREA,
    );
    // A township where a village is needed.
    f.ds.households[0].village_id = f.township;
    only(
        &errors(&f),
        "household",
        ids.household,
        "village_id",
        c::WRONG_AREA_LEVEL,
    );
    // A village whose parent does not exist; a county with a parent.
    let (mut f, _) = county();
    let village = f.village;
    f.ds.areas[2].parent_id = Some(Uuid::from_u128(0xbeef));
    f.ds.areas[0].parent_id = Some(village);
    let es = errors(&f);
    assert_eq!(es.len(), 2, "{es:#?}");
    has(&es, "area", village, "parent_id", c::UNKNOWN_AREA);
    has(&es, "area", f.county, "parent_id", c::COUNTY_HAS_PARENT);
    // A first secretary granted for a township.
    let (mut f, _) = county();
    let fs = f.first_secretary;
    f.ds.people[0].roles[0].area_id = Some(f.township);
    only(
        &errors(&f),
        "person",
        fs,
        "roles[0].area_id",
        c::WRONG_AREA_LEVEL,
    );
}

#[test]
fn a_pairing_with_an_unknown_cadre_is_refused() {
    let (mut f, ids) = county();
    f.ds.pairings[0].cadre_id = Uuid::from_u128(0xdead);
    let es = errors(&f);
    has(&es, "pairing", ids.pairing, "cadre_id", c::UNKNOWN_CADRE);
    // The first secretary is a person but not a cadre.
    let (mut f, ids) = county();
    f.ds.pairings[0].cadre_id = f.first_secretary;
    only(
        &errors(&f),
        "pairing",
        ids.pairing,
        "cadre_id",
        c::NOT_A_CADRE,
    );
    // A cadre whose role begins after the pairing's start.
    let (mut f, ids) = county();
    let cadre = f.ds.people.iter_mut().find(|p| p.id == ids.cadre);
    if let Some(p) = cadre {
        p.roles[0].from = d("2024-01-02");
    }
    only(
        &errors(&f),
        "pairing",
        ids.pairing,
        "cadre_id",
        c::NOT_A_CADRE,
    );
}

#[test]
fn a_visit_by_someone_not_a_cadre_is_refused() {
    let (mut f, ids) = county();
    let township = f.township;
    let station = f.person(
        "乡镇站员",
        Role::TownshipStation,
        Some(township),
        d("2020-01-01"),
    );
    f.ds.visits[0].visitor_id = station;
    only(
        &errors(&f),
        "visit",
        ids.visit,
        "visitor_id",
        c::VISITOR_NOT_CADRE,
    );
    // Someone nobody knows.
    f.ds.visits[0].visitor_id = Uuid::from_u128(0xdead);
    only(
        &errors(&f),
        "visit",
        ids.visit,
        "visitor_id",
        c::VISITOR_NOT_CADRE,
    );
    // A cadre whose role ended before the visit.
    let (mut f, ids) = county();
    if let Some(p) = f.ds.people.iter_mut().find(|p| p.id == ids.cadre) {
        p.roles[0].to = Some(d("2024-02-09"));
    }
    let es = errors(&f);
    has(&es, "visit", ids.visit, "visitor_id", c::VISITOR_NOT_CADRE);
    // A team member may visit.
    let (mut f, ids) = county();
    let village = f.village;
    let member = f.person("队员", Role::TeamMember, Some(village), d("2023-01-01"));
    f.ds.visits[0].visitor_id = member;
    assert_eq!(validate_dataset(&f.ds), Ok(()), "{:?}", ids.visit);
}

#[test]
fn messages_carry_no_personal_data() {
    let (mut f, ids) = county();
    let bad_id = "360722197001011230".to_owned();
    let bad_id = if idnumber::check(&bad_id).is_ok() {
        "360722197001011231".to_owned()
    } else {
        bad_id
    };
    let phone = "1380013800a";
    f.ds.members[0].id_number = bad_id.clone();
    let mut twin = f.ds.members[0].clone();
    twin.id = f.id();
    twin.id_number = id_number("36072219800101123");
    f.ds.members.push(twin.clone());
    twin.id = f.id();
    f.ds.members.push(twin.clone());
    f.ds.households[0].phone = Some(phone.into());
    f.ds.households[0].village_id = Uuid::from_u128(0xdead);
    f.ds.income_records[0].items[0].amount_fen = -1_234_567;
    f.ds.people[1].phone = Some(phone.into());
    let es = errors(&f);
    has(
        &es,
        "member",
        ids.member,
        "id_number",
        c::ID_NUMBER_CHECKSUM,
    );
    has(&es, "member", twin.id, "id_number", c::DUPLICATE_ID_NUMBER);
    has(&es, "household", ids.household, "phone", c::PHONE_INVALID);
    has(
        &es,
        "income_record",
        ids.income,
        "items[0].amount_fen",
        c::NEGATIVE_MONEY,
    );
    let secrets = [
        bad_id.as_str(),
        &bad_id[6..14],
        &twin.id_number,
        MEMBER_NAME,
        HEAD_NAME,
        phone,
        "1234567",
        "12345.67",
        "王干部",
    ];
    for e in &es {
        for s in secrets {
            assert!(!e.message.contains(s), "{s} in {e:?}");
            assert!(!e.message_zh.contains(s), "{s} in {e:?}");
            assert!(!e.to_string().contains(s), "{s} in {e:?}");
        }
        assert!(!e.message.is_empty() && !e.message_zh.is_empty());
        assert!(
            e.code
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch == '_')
        );
    }
}
