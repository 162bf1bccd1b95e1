//! The records of `bangfu bench sync`: a small county (areas, a unit, a post, a cadre, households
//! and their pairings) and realistic visits (about 850 bytes of JSON each: four checks with notes
//! now and then, who was present, policies explained, problems and measures in Chinese, two or
//! three photo hashes, a signature hash and a place). Deterministic but for the ids (UUIDv7).

use anyhow::{Context, Result};
use bangfu_core::{Check, CheckStatus, Checks, GeoPoint, Record, Tidiness, Visit};
use chrono::{DateTime, FixedOffset};
use serde_json::{Value, json};
use uuid::Uuid;

/// splitmix64: a small deterministic generator, so that every run records alike visits.
pub struct Rng(pub u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// One of the `|`-separated words of `list`.
    fn pick(&mut self, list: &'static str) -> &'static str {
        let n = list.split('|').count();
        list.split('|').nth(self.below(n)).unwrap_or("")
    }
    /// `n` words of `list`, joined by `sep`.
    fn some(&mut self, n: usize, list: &'static str, sep: &str) -> String {
        (0..n)
            .map(|_| self.pick(list))
            .collect::<Vec<_>>()
            .join(sep)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    /// A SHA-256 in lowercase hex (a photo or signature hash: random to a compressor).
    fn hash(&mut self) -> String {
        let (a, b, c, d) = (self.next(), self.next(), self.next(), self.next());
        format!("{a:016x}{b:016x}{c:016x}{d:016x}")
    }
    fn name(&mut self) -> String {
        format!("{}{}", self.pick(SURNAMES), self.pick(GIVEN))
    }
}

const SURNAMES: &str = "刘|陈|李|王|张|黄|曾|赖|钟|谢|罗|廖";
const GIVEN: &str = "建国|秀英|桂兰|志明|福生|金凤|春华|国良|玉梅|海平|冬生|小红";
const RISK_NOTES: &str = "屋顶瓦片破损，雨季漏雨，已报村委安排维修|自来水管冬季冻裂，暂用井水，已联系水厂|\
    小孩在县城读初二，学费已减免，生活费仍有困难|老人高血压需长期服药，门诊慢性病卡尚未办理|\
    住房墙体出现裂缝，需申请危房鉴定|家中饮水水质浑浊，建议检测";
const OK_NOTES: &str = "孩子在镇中心小学读四年级，享受营养餐补助|全家已参加城乡居民医保，家庭医生已签约|\
    2019年危房改造新建砖混房两层，住房安全|已通自来水，水量水质达标|大学生已申请雨露计划补助";
const POLICIES: &str = "防返贫监测政策|医疗保障政策|教育资助政策|产业奖补政策|小额信贷政策|就业帮扶政策|感恩教育|低保政策";
const PROBLEMS: &str = "主要劳动力在外务工，收入不稳定|脐橙三亩受黄龙病影响减产|老人患慢性病，医疗支出较大|\
    孩子上学路远，交通费用高|饲料涨价，养猪利润下降|户主腿伤，暂时无法务工|收入主要靠低保和养老金|儿媳待业，希望就近就业";
const MEASURES: &str = "协助申请产业奖补|介绍到工业园务工|联系卫生院办理慢性病卡|落实雨露计划补助|推荐公益性岗位|\
    申请小额信贷发展养殖|协调农技站指导果园管理|对接消费帮扶销售农产品";

/// What visits need from the reference data.
pub struct Reference {
    pub cadre: Uuid,
    /// Household id, head's name, scope path.
    households: Vec<(Uuid, String, String)>,
}

fn rec(entity: &str, record: Value) -> Result<Record> {
    serde_json::from_value(json!({ "entity": entity, "record": record }))
        .with_context(|| format!("building a {entity}"))
}

/// Areas, a unit, a post, a cadre, `households` households and their pairings with the cadre,
/// in dependency order, each with its scope path.
pub fn reference(rng: &mut Rng, households: usize) -> Result<(Reference, Vec<(Record, String)>)> {
    let id = Uuid::now_v7;
    let (county, town, unit, post, cadre) = (id(), id(), id(), id(), id());
    let villages = [
        (id(), "360722100201", "水东村"),
        (id(), "360722100202", "龙舌村"),
    ];
    let (c, t) = ("360722".to_owned(), "360722/360722100".to_owned());
    let mut out = vec![
        (
            rec(
                "area",
                json!({"id": county, "code": "360722", "name": "信丰县", "level": "county"}),
            )?,
            c.clone(),
        ),
        (
            rec(
                "area",
                json!({"id": town, "code": "360722100", "name": "嘉定镇", "level": "township", "parent_id": county}),
            )?,
            t.clone(),
        ),
    ];
    for (v, code, name) in villages {
        let area =
            json!({"id": v, "code": code, "name": name, "level": "village", "parent_id": town});
        out.push((rec("area", area)?, format!("{t}/{code}")));
    }
    out.push((
        rec("unit", json!({"id": unit, "name": "信丰县财政局"}))?,
        c.clone(),
    ));
    out.push((
        rec(
            "post",
            json!({"id": post, "unit_id": unit, "title": "副局长"}),
        )?,
        c.clone(),
    ));
    let person = json!({"id": cadre, "name": "刘建国", "phone": "13907970001", "unit_id": unit,
        "post_id": post, "roles": [{"role": "cadre", "from": "2024-01-01"}]});
    out.push((rec("person", person)?, c));
    let mut list = Vec::new();
    for i in 0..households {
        let (village, code, name) = villages[i % 2];
        let (h, head, group) = (id(), rng.name(), format!("第{}组", 1 + i % 9));
        let scope = format!("{t}/{code}/h:{h}");
        let monitored = i % 5 == 0;
        let class = match monitored {
            true => json!({"from": "2024-01-01", "class": "monitored", "kind": "unstable_lifted"}),
            false => json!({"from": "2024-01-01", "class": "lifted"}),
        };
        let household = json!({"id": h, "village_id": village, "group": group, "head_name": head,
            "address": format!("嘉定镇{name}{group}{}号", 1 + i), "class_history": [class],
            "risks": if monitored { vec!["illness"] } else { vec![] }});
        out.push((rec("household", household)?, scope.clone()));
        let pairing =
            json!({"id": id(), "household_id": h, "cadre_id": cadre, "start": "2024-01-01"});
        out.push((rec("pairing", pairing)?, scope.clone()));
        list.push((h, head, scope));
    }
    Ok((
        Reference {
            cadre,
            households: list,
        },
        out,
    ))
}

fn check(rng: &mut Rng) -> Check {
    if rng.chance(8) {
        let note = Some(rng.pick(RISK_NOTES).to_owned());
        Check {
            status: CheckStatus::Risk,
            note,
        }
    } else {
        let note = rng.chance(5).then(|| rng.pick(OK_NOTES).to_owned());
        Check {
            status: CheckStatus::Ok,
            note,
        }
    }
}

/// A visit to one of the reference households in the 150 days before `now`, with its scope.
pub fn visit(rng: &mut Rng, r: &Reference, now: DateTime<FixedOffset>) -> (Record, String) {
    let (household, head, scope) = &r.households[rng.below(r.households.len())];
    let visited_at = now - chrono::Duration::seconds(rng.below(150 * 86_400) as i64);
    let mut present = vec![head.clone()];
    if rng.chance(40) {
        present.push(rng.name());
    }
    let talks = 1 + rng.below(2);
    let (problems, measures) = (
        1 + usize::from(rng.chance(30)),
        1 + usize::from(rng.chance(30)),
    );
    let v = Visit {
        id: Uuid::now_v7(),
        household_id: *household,
        visitor_id: r.cadre,
        visited_at,
        place: Some(GeoPoint {
            lat: (25_380_000 + rng.below(40_000)) as f64 / 1e6,
            lon: (114_920_000 + rng.below(40_000)) as f64 / 1e6,
        }),
        present,
        checks: Checks {
            education: check(rng),
            medical: check(rng),
            housing: check(rng),
            water: check(rng),
        },
        policy_talk: (0..talks).map(|_| rng.pick(POLICIES).to_owned()).collect(),
        tidiness: rng.chance(20).then(|| Tidiness {
            yard: rng.chance(90),
            rooms: rng.chance(90),
            kitchen: rng.chance(85),
            toilet: rng.chance(80),
            person: rng.chance(95),
            arrangement: rng.chance(85),
        }),
        problems: rng.some(problems, PROBLEMS, "；"),
        measures: rng.some(measures, MEASURES, "；"),
        photos: (0..2 + rng.below(2)).map(|_| rng.hash()).collect(),
        signature: Some(rng.hash()),
        corrects: None,
        correction_reason: None,
    };
    (Record::Visit(v), scope.clone())
}
