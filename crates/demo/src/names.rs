//! Names: people, villages, assisting units and their posts. Plausible for southern Jiangxi
//! (Gannan); every person and village of the demo is invented.

use std::collections::HashSet;

use rand::Rng;

use crate::util::{DemoRng, chance, pick};

/// The county (name, division code).
pub(crate) const COUNTY: (&str, &str) = ("信丰县", "360722");

/// The 16 townships of Xinfeng County with 9-digit codes (towns 1xx, townships 2xx, as in the
/// statistical division codes).
pub(crate) const TOWNSHIPS: [(&str, &str); 16] = [
    ("嘉定镇", "360722100"),
    ("大塘埠镇", "360722101"),
    ("古陂镇", "360722102"),
    ("大桥镇", "360722103"),
    ("新田镇", "360722104"),
    ("安西镇", "360722105"),
    ("小江镇", "360722106"),
    ("铁石口镇", "360722107"),
    ("大阿镇", "360722108"),
    ("油山镇", "360722109"),
    ("小河镇", "360722110"),
    ("西牛镇", "360722111"),
    ("正平镇", "360722112"),
    ("虎山乡", "360722200"),
    ("崇仙乡", "360722201"),
    ("万隆乡", "360722202"),
];

/// Division codes of other counties of Ganzhou (people married or born elsewhere).
pub(crate) const OTHER_COUNTY_CODES: [&str; 10] = [
    "360702", "360704", "360723", "360726", "360728", "360729", "360731", "360732", "360733",
    "360783",
];

// Common surnames of Gannan, the most common ones repeated so they come up more often.
const SURNAMES: [&str; 60] = [
    "刘", "刘", "刘", "刘", "陈", "陈", "陈", "李", "李", "李", "王", "王", "张", "张", "黄", "黄",
    "曾", "曾", "钟", "钟", "钟", "肖", "肖", "赖", "赖", "谢", "谢", "郭", "罗", "邱", "朱", "廖",
    "卢", "蓝", "温", "邓", "胡", "杨", "吴", "林", "何", "徐", "彭", "叶", "潘", "袁", "严", "骆",
    "余", "郑", "唐", "魏", "许", "蔡", "邹", "丁", "孙", "凌", "甘", "幸",
];

const MALE_CHARS: [&str; 48] = [
    "建", "国", "华", "明", "平", "军", "林", "强", "文", "辉", "春", "生", "荣", "海", "伟", "志",
    "勇", "福", "金", "德", "东", "发", "清", "祥", "新", "亮", "俊", "杰", "宏", "涛", "斌", "鹏",
    "峰", "龙", "兵", "光", "贵", "水", "根", "才", "胜", "云", "学", "远", "长", "永", "茂", "炳",
];

const FEMALE_CHARS: [&str; 40] = [
    "秀", "英", "兰", "芳", "梅", "玉", "珍", "华", "红", "丽", "娟", "霞", "萍", "凤", "莲", "桂",
    "春", "琴", "燕", "艳", "敏", "静", "婷", "慧", "丹", "雪", "洁", "玲", "金", "香", "招", "娣",
    "菊", "花", "连", "平", "群", "清", "冬", "月",
];

const MODERN_MALE: [&str; 24] = [
    "子轩", "浩然", "宇航", "俊杰", "梓豪", "家乐", "思远", "博文", "一鸣", "天佑", "宇轩", "浩宇",
    "子豪", "俊熙", "睿", "鑫", "梓睿", "承泽", "嘉懿", "铭", "皓轩", "烨", "晨阳", "志豪",
];

const MODERN_FEMALE: [&str; 24] = [
    "欣怡", "梓涵", "诗琪", "雨桐", "可馨", "佳怡", "紫涵", "思彤", "语嫣", "梦瑶", "欣妍", "雨欣",
    "子涵", "诗涵", "若曦", "佳琪", "晓琳", "婧", "妍", "芷若", "心怡", "静怡", "雅婷", "悦",
];

/// A surname.
pub(crate) fn surname(rng: &mut DemoRng) -> &'static str {
    pick::<&str>(rng, &SURNAMES)
}

/// A given name fitting the person's sex and birth year.
pub(crate) fn given_name(rng: &mut DemoRng, male: bool, birth_year: i32) -> String {
    if birth_year >= 2000 {
        let list = if male { &MODERN_MALE } else { &MODERN_FEMALE };
        return (*pick(rng, list)).to_owned();
    }
    let chars = if male {
        &MALE_CHARS[..]
    } else {
        &FEMALE_CHARS[..]
    };
    let first = pick(rng, chars);
    if chance(rng, 0.2) {
        return (*first).to_owned();
    }
    let second = pick(rng, chars);
    format!("{first}{second}")
}

/// A full name.
pub(crate) fn full_name(rng: &mut DemoRng, male: bool, birth_year: i32) -> String {
    let s = surname(rng);
    format!("{s}{}", given_name(rng, male, birth_year))
}

const VILLAGE_FIRST: [&str; 48] = [
    "龙", "金", "石", "新", "大", "小", "上", "下", "东", "西", "南", "北", "高", "坪", "黄", "桥",
    "塘", "江", "河", "田", "山", "长", "铁", "古", "竹", "梅", "桃", "杨", "樟", "松", "坳", "水",
    "马", "牛", "安", "正", "太", "丰", "和", "兴", "福", "仙", "中", "青", "白", "沙", "茶", "禾",
];

const VILLAGE_SECOND: [&str; 36] = [
    "舌", "坑", "塘", "田", "岭", "坪", "口", "溪", "湖", "下", "背", "洲", "岗", "寨", "源", "陂",
    "坝", "圳", "围", "径", "江", "桥", "山", "埠", "头", "湾", "垅", "坊", "排", "迳", "溪", "龙",
    "丰", "富", "石", "屋",
];

/// A village name not in `taken` (e.g. 龙舌村), which it is added to.
pub(crate) fn village_name(rng: &mut DemoRng, taken: &mut HashSet<String>) -> String {
    for _ in 0..64 {
        let a = pick(rng, &VILLAGE_FIRST);
        let b = pick(rng, &VILLAGE_SECOND);
        if a == b {
            continue;
        }
        let name = format!("{a}{b}村");
        if taken.insert(name.clone()) {
            return name;
        }
    }
    let name = format!("新建{}村", taken.len() + 1);
    taken.insert(name.clone());
    name
}

/// County departments and bodies that assist households (县直单位), in the order they are used.
const COUNTY_UNITS: [&str; 72] = [
    "县委办",
    "县政府办",
    "县纪委监委",
    "县委组织部",
    "县委宣传部",
    "县委统战部",
    "县委政法委",
    "县发改委",
    "县教育局",
    "县工信局",
    "县公安局",
    "县民政局",
    "县司法局",
    "县财政局",
    "县人社局",
    "县自然资源局",
    "县生态环境局",
    "县住建局",
    "县交通运输局",
    "县水利局",
    "县农业农村局",
    "县商务局",
    "县文广新旅局",
    "县卫健委",
    "县退役军人事务局",
    "县应急管理局",
    "县审计局",
    "县市场监管局",
    "县统计局",
    "县医保局",
    "县林业局",
    "县城管局",
    "县乡村振兴局",
    "县信访局",
    "县行政审批局",
    "县果业发展中心",
    "县供销社",
    "县总工会",
    "团县委",
    "县妇联",
    "县科协",
    "县残联",
    "县融媒体中心",
    "县人民医院",
    "县中医院",
    "县妇幼保健院",
    "县疾控中心",
    "信丰中学",
    "县职业技术学校",
    "县税务局",
    "县气象局",
    "县烟草专卖局",
    "县农商银行",
    "县农业银行",
    "县邮政分公司",
    "县供电公司",
    "县电信公司",
    "县移动公司",
    "县人民法院",
    "县人民检察院",
    "县档案馆",
    "县图书馆",
    "县委党校",
    "县机关事务中心",
    "县城投公司",
    "县工业园区管委会",
    "县农技推广中心",
    "县畜牧水产服务中心",
    "县人大办",
    "县政协办",
    "县委编办",
    "县数据局",
];

const CENTRE_TOPICS: [&str; 24] = [
    "就业创业服务",
    "社会保险",
    "不动产登记",
    "公共资源交易",
    "政务服务",
    "医疗保障服务",
    "退役军人服务",
    "应急救援",
    "规划设计",
    "招商服务",
    "融资担保",
    "园林绿化",
    "环境卫生",
    "房屋征收",
    "救助管理",
    "水土保持",
    "林业科技推广",
    "农机服务",
    "动物疫病预防控制",
    "住房公积金",
    "城乡供水",
    "电子商务服务",
    "劳动保障监察",
    "社会福利",
];

const ORDINALS: [&str; 9] = ["二", "三", "四", "五", "六", "七", "八", "九", "十"];

/// The names of `n` distinct assisting units: county departments first, then township
/// governments, then service centres and schools.
pub(crate) fn unit_names(n: usize) -> Vec<String> {
    let mut out: Vec<String> = COUNTY_UNITS.iter().map(|s| (*s).to_owned()).collect();
    out.extend(TOWNSHIPS.iter().map(|(t, _)| format!("{t}人民政府")));
    out.extend(CENTRE_TOPICS.iter().map(|t| format!("县{t}中心")));
    out.extend(ORDINALS.iter().map(|o| format!("县第{o}中学")));
    out.extend(ORDINALS.iter().map(|o| format!("县第{o}小学")));
    let mut k = 1;
    while out.len() < n {
        out.push(format!("县直机关第{k}帮扶工作组"));
        k += 1;
    }
    out.truncate(n);
    out
}

/// The head's and deputies' post titles of a unit, and the pattern of its sections.
pub(crate) fn leader_titles(unit: &str) -> (&'static str, &'static str, Sections) {
    if unit.ends_with("人民政府") {
        if unit.contains('乡') && !unit.contains('镇') {
            ("乡长", "副乡长", Sections::Township)
        } else {
            ("镇长", "副镇长", Sections::Township)
        }
    } else if unit.ends_with("医院") || unit.ends_with("保健院") {
        ("院长", "副院长", Sections::Hospital)
    } else if unit.ends_with("学校") || unit.ends_with("中学") || unit.ends_with("小学") {
        ("校长", "副校长", Sections::School)
    } else if unit.ends_with("党校") {
        ("常务副校长", "副校长", Sections::Bureau)
    } else if unit.ends_with('部') {
        ("常务副部长", "副部长", Sections::Bureau)
    } else if unit.ends_with("银行") {
        ("行长", "副行长", Sections::Company)
    } else if unit.ends_with("公司") {
        ("总经理", "副总经理", Sections::Company)
    } else if unit.ends_with("馆") {
        ("馆长", "副馆长", Sections::Bureau)
    } else if unit.ends_with("法院") {
        ("院长", "副院长", Sections::Bureau)
    } else if unit.ends_with("检察院") {
        ("检察长", "副检察长", Sections::Bureau)
    } else if unit.ends_with("团县委") || unit.ends_with("纪委监委") {
        ("书记", "副书记", Sections::Bureau)
    } else if unit.ends_with('联') || unit.ends_with("工会") {
        ("主席", "副主席", Sections::Bureau)
    } else if unit.ends_with('局') {
        ("局长", "副局长", Sections::Bureau)
    } else {
        ("主任", "副主任", Sections::Bureau)
    }
}

/// How a unit names its sections.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Sections {
    Bureau,
    Township,
    Hospital,
    School,
    Company,
}

impl Sections {
    /// The title of the head of section `i`.
    pub(crate) fn head_title(self, i: usize) -> String {
        const BUREAU: [&str; 8] = [
            "综合股",
            "财务股",
            "业务股",
            "法规股",
            "计划股",
            "人事股",
            "监督股",
            "信息股",
        ];
        const TOWNSHIP: [&str; 8] = [
            "党政综合办",
            "经济发展办",
            "社会事务办",
            "乡村振兴工作站",
            "社会治理办",
            "财政所",
            "农业综合服务中心",
            "综治中心",
        ];
        const HOSPITAL: [&str; 8] = [
            "医务科",
            "护理部",
            "财务科",
            "内科",
            "外科",
            "公共卫生科",
            "院办",
            "信息科",
        ];
        const SCHOOL: [&str; 8] = [
            "教务处",
            "政教处",
            "总务处",
            "教研室",
            "团委",
            "年级组",
            "办公室",
            "安全办",
        ];
        const COMPANY: [&str; 8] = [
            "综合部",
            "财务部",
            "市场部",
            "客户部",
            "运营部",
            "风险部",
            "人力部",
            "营业部",
        ];
        let (list, suffix) = match self {
            Sections::Bureau => (&BUREAU, "股长"),
            Sections::Township => (&TOWNSHIP, "主任"),
            Sections::Hospital => (&HOSPITAL, "主任"),
            Sections::School => (&SCHOOL, "主任"),
            Sections::Company => (&COMPANY, "经理"),
        };
        format!("{}{suffix}", list[i % list.len()])
    }

    /// The title most staff hold.
    pub(crate) fn staff_title(self) -> &'static str {
        match self {
            Sections::Bureau => "科员",
            Sections::Township => "一级科员",
            Sections::Hospital => "主治医师",
            Sections::School => "教师",
            Sections::Company => "客户经理",
        }
    }
}

/// A random age-appropriate birth year helper for staff: 25–58 at `year`.
pub(crate) fn staff_birth_year(rng: &mut DemoRng, year: i32) -> i32 {
    year - rng.random_range(25..=58)
}
