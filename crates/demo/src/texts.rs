//! What the demo's cadres write: policies explained, problems found, measures taken, notes.

use bangfu_core::{CheckItem, MeasureKind, Risk};

/// D1: policies explained during a visit.
pub(crate) const POLICIES: [&str; 14] = [
    "防止返贫动态监测政策",
    "城乡居民医保参保缴费政策",
    "脱贫人口小额信贷政策",
    "雨露计划",
    "产业奖补政策",
    "公益性岗位政策",
    "农村低保政策",
    "教育资助政策",
    "感恩教育",
    "脐橙产业扶持政策",
    "外出务工交通补贴",
    "农村危房改造政策",
    "移风易俗",
    "防范电信诈骗",
];

/// Everyday observations written on an uneventful visit ("" is the most common).
pub(crate) const ROUTINE_PROBLEMS: [&str; 8] = [
    "户主慢性病需定期复查",
    "脐橙销售渠道不畅",
    "子女在外务工，老人独居",
    "家中生猪价格下跌",
    "希望就近务工",
    "想扩大脐橙种植但缺资金",
    "屋前排水沟堵塞",
    "老人行动不便",
];

pub(crate) const ROUTINE_MEASURES: [&str; 8] = [
    "宣讲政策，鼓励外出务工",
    "联系村卫生室上门随访",
    "帮助对接电商平台销售脐橙",
    "推送县工业园区用工信息",
    "讲解小额信贷申请流程",
    "提醒按时缴纳医保",
    "协调村委会清理排水沟",
    "引导按五净一规范整理庭院",
];

/// What a visit that finds a hazard notes, by item.
pub(crate) fn risk_notes(item: CheckItem) -> &'static [&'static str] {
    match item {
        CheckItem::Education => &[
            "孩子厌学，有辍学倾向",
            "教育资助尚未落实",
            "孩子因病休学，需送教上门",
        ],
        CheckItem::Medical => &["慢性病卡未办理", "住院费用报销未到位", "家庭医生未签约"],
        CheckItem::Housing => &[
            "房屋漏雨，屋面需修缮",
            "厨房墙体开裂",
            "屋后边坡有滑坡隐患",
            "木结构房梁腐朽",
        ],
        CheckItem::Water => &["入户水管破裂，停水三天", "水质浑浊，需检测", "旱季水源不足"],
    }
}

/// Written when a hazard is found.
pub(crate) const RISK_REPORTED: &str = "已立即报告镇村两级，协助开展预警监测";

/// Written when a later visit finds the hazard gone.
pub(crate) fn resolved(item: CheckItem) -> &'static str {
    match item {
        CheckItem::Education => "已落实控辍保学和教育资助，孩子正常上学",
        CheckItem::Medical => "已协助办理，基本医疗有保障",
        CheckItem::Housing => "已完成修缮，住房安全有保障",
        CheckItem::Water => "已维修，饮水安全有保障",
    }
}

/// Daily contacts (电话、网络、社交媒体).
pub(crate) const CONTACT_NOTES: [&str; 8] = [
    "电话询问近况，家中一切正常",
    "微信了解务工情况",
    "提醒参加医保缴费",
    "通知领取产业奖补",
    "询问老人身体状况",
    "推送用工信息",
    "提醒防汛安全",
    "了解脐橙销售情况",
];

/// Income item labels by category.
pub(crate) const WAGE_AWAY: &str = "外出务工";
pub(crate) const WAGE_LOCAL: &str = "本地务工";
pub(crate) const WAGE_POST: &str = "公益性岗位";
pub(crate) const BUSINESS: [&str; 6] = [
    "种植脐橙",
    "种植脐橙",
    "养殖生猪",
    "养鸡养鸭",
    "种植蔬菜",
    "油茶种植",
];
pub(crate) const PENSION: &str = "养老金";
pub(crate) const DIBAO: &str = "低保金";
/// Support from children living elsewhere (a transfer income).
pub(crate) const SUPPORT: &str = "赡养费";
pub(crate) const SUBSIDY: &str = "耕地地力保护补贴";
pub(crate) const SOLAR: &str = "光伏分红";
pub(crate) const LAND: &str = "土地流转";

/// The measure that answers a risk (缺什么补什么).
pub(crate) fn measure_for(risk: Risk) -> MeasureKind {
    match risk {
        Risk::Illness => MeasureKind::Health,
        Risk::Disability => MeasureKind::SocialSecurity,
        Risk::Schooling => MeasureKind::Education,
        Risk::Disaster => MeasureKind::LivingConditions,
        Risk::Accident => MeasureKind::Health,
        Risk::BusinessFailure => MeasureKind::Industry,
        Risk::UnstableEmployment => MeasureKind::Employment,
        Risk::LackOfLabour => MeasureKind::PublicWelfarePost,
        Risk::Housing => MeasureKind::HousingSafety,
        Risk::DrinkingWater => MeasureKind::WaterSafety,
        Risk::Other => MeasureKind::Social,
    }
}

pub(crate) fn measure_text(kind: MeasureKind) -> &'static str {
    match kind {
        MeasureKind::Industry => "发放脐橙种植奖补，提供技术指导",
        MeasureKind::Employment => "推荐到县工业园区务工，落实交通补贴",
        MeasureKind::PublicWelfarePost => "安排村保洁员公益性岗位",
        MeasureKind::Microcredit => "协助申请脱贫人口小额信贷5万元",
        MeasureKind::Education => "申请雨露计划及教育资助",
        MeasureKind::CompulsoryEducation => "落实控辍保学，送教上门",
        MeasureKind::Health => "落实家庭医生签约，办理慢性病卡",
        MeasureKind::HousingSafety => "申请农村危房改造补助，修缮屋面",
        MeasureKind::WaterSafety => "协调水利站接通自来水",
        MeasureKind::Relocation => "易地搬迁安置",
        MeasureKind::SocialSecurity => "纳入农村低保",
        MeasureKind::Social => "链接社会爱心资助",
        MeasureKind::LivingConditions => "开展改厕改厨，修复灾损设施",
        MeasureKind::Infrastructure => "硬化入户道路",
        MeasureKind::Consumption => "帮助销售脐橙、土鸡",
        MeasureKind::SkillsTraining => "参加电商技能培训",
    }
}

/// Measures for lifted households (常态关注).
pub(crate) const LIFTED_MEASURES: [MeasureKind; 5] = [
    MeasureKind::Industry,
    MeasureKind::Microcredit,
    MeasureKind::Employment,
    MeasureKind::SkillsTraining,
    MeasureKind::Consumption,
];

/// D4 consumption assistance.
pub(crate) const PURCHASES: [&str; 8] = [
    "单位食堂采购信丰脐橙",
    "工会福利采购帮扶产品（脐橙、土鸡蛋）",
    "财政预留份额采购帮扶产品",
    "消费帮扶江西信丰馆采购",
    "单位食堂采购帮扶户蔬菜",
    "工会福利采购油茶籽油",
    "采购帮扶户土鸡",
    "采购帮扶车间产品",
];

pub(crate) const EVENTS: [&str; 5] = [
    "消费帮扶产品展销会",
    "脐橙产销对接会",
    "工会福利采购帮扶产品活动",
    "江西信丰馆线上采购活动",
    "帮扶产品进机关活动",
];

pub(crate) const EVALUATION_CONTINUE: &str = "收入稳定，三保障和饮水安全巩固，持续帮扶";
pub(crate) const EVALUATION_STRENGTHEN: &str = "人均纯收入未稳定超过监测范围，加大帮扶力度";
pub(crate) const EVALUATION_ADJUST: &str = "收入明显下降，调整帮扶计划";
pub(crate) const EVALUATION_ELIMINATE: &str =
    "收入持续稳定超过监测范围，三保障和饮水安全巩固，建议按程序消除风险";
