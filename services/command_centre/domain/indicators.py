"""The statistics page's catalogue: every figure with its name and its definition, in zh-CN and
English. The console shows each definition beside its figure, and docs/indicators.md is held to
this text by a test, so what the board says is what the figure counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from shared.rates import rate


@dataclass(frozen=True)
class Indicator:
    key: str
    kind: Literal["rate", "count", "by_kind", "average"]
    zh: str
    en: str
    definition_zh: str
    definition_en: str
    period: Literal["month", "year"] = "month"


CATALOGUE: tuple[Indicator, ...] = (
    # --- community corrections (社区矫正) ------------------------------------------------------------
    Indicator(
        "corrections",
        "count",
        "社区矫正人数",
        "Community corrections",
        "本月内任一时间处于在矫或待报到状态的社区矫正案件数；撤销、变更执行地或解除的案件，自其结案次月起不再计入。",
        "Community-correction cases awaiting intake or under supervision at any time in the month; a case "
        "revoked, transferred or ended counts no more from the month after it closed.",
    ),
    Indicator(
        "cases_opened",
        "by_kind",
        "本月入矫（按刑种）",
        "Cases opened (by sentence kind)",
        "本月收到法院交付执行文书而立案的社区矫正案件数，按管制、缓刑、假释、暂予监外执行分列。",
        "Community-correction cases opened in the month from a court's order, by sentence kind.",
    ),
    Indicator(
        "cases_closed",
        "by_kind",
        "本月解矫（按刑种）",
        "Cases closed (by sentence kind)",
        "本月期满解矫、撤销收监或迁出的社区矫正案件数，按刑种分列。",
        "Community-correction cases closed in the month (term ended, revoked or transferred), by sentence kind.",
    ),
    Indicator(
        "intake_missed",
        "count",
        "漏管人数",
        "Missed intake (漏管)",
        "判决生效后未在规定期限内报到、本月被发出漏管预警的人数。",
        "Persons not reported within the intake window after the judgment, signalled in the month.",
    ),
    Indicator(
        "contact_lost",
        "count",
        "脱管人数",
        "Contact lost (脱管)",
        "本月被认定失去联系（核查无法联系或未按时记录核查结果）的人数。",
        "Persons whose contact was lost in the month (recorded unreachable, or no check result in time).",
    ),
    Indicator(
        "plan_rate",
        "rate",
        "个案矫正率",
        "Correction plan rate",
        "本月社区矫正人数中，截至月末已有经审批的个案矫正方案的案件数 ÷ 本月社区矫正人数。",
        "Community corrections in the month with an approved individual correction plan by the month's end "
        "÷ community corrections in the month.",
    ),
    *(
        Indicator(
            f"hours_rate_{level}",
            "rate",
            f"学习公益时长达标率（{zh}）",
            f"Hours completion ({en})",
            f"本月结束并经宽限期（补录确认）后按{zh}判定学时的社区矫正对象中，确认的教育学习和公益活动时长均达到"
            f"本等级要求的人数 ÷ 判定人数；月内等级有变化的，按要求最低的等级判定；当月首个不完整月份不判定，"
            f"本等级不要求时长时不计；宽限期后补确认达标的，改为达标。",
            f"Community corrections judged at the {en} level once the month and its grace days for late "
            "confirmations are over, whose confirmed study and community-service time both met the level's "
            "requirement ÷ those judged; a month with a level change is judged at the level owing least; a "
            "first, partial month is not judged, a level that owes no hours has no figure, and a month met by "
            "time confirmed later counts as met.",
        )
        for level, zh, en in (
            ("strict", "严管", "strict"),
            ("ordinary", "普管", "ordinary"),
            ("lenient", "宽管", "lenient"),
        )
    ),
    Indicator(
        "help_rate",
        "rate",
        "求助答复率",
        "Help requests answered",
        "本月社区矫正对象提出（在矫通或由司法所登记）的求助事项中，截至统计时已答复（帮扶、不予帮扶或转民政部门）"
        "的件数 ÷ 本月提出的求助事项数。",
        "Of the help requests corrections persons made in the month (through the app or recorded by the office), "
        "those answered (helped, declined or referred to civil affairs) by now ÷ requests made in the month.",
    ),
    Indicator(
        "positioning_rate",
        "rate",
        "电子定位率",
        "Electronic positioning rate",
        "本月社区矫正人数中，本月内有有效电子定位期（矫正机构决定，期满之日起不再有效）"
        "或法院判决电子监管的案件数 ÷ 本月社区矫正人数。",
        "Community corrections in the month with an electronic-positioning term in force in it (the bureau's, "
        "over from the day after its last) or the court's order of electronic monitoring ÷ community "
        "corrections in the month.",
    ),
    # --- handover after release (刑满释放衔接), by the month of release -----------------------------------
    Indicator(
        "releases",
        "count",
        "本月刑满释放人数",
        "Releases due",
        "释放日期在本月、目的地为本司法所的预释放人员数，无论是否已报到；全市另含尚未衔接到司法所的通知。",
        "Releasees of the office whose release date falls in the month, registered or not; "
        "全市 also counts the notices not yet linked to an office.",
    ),
    Indicator(
        "verification_rate",
        "rate",
        "信息核查率",
        "Verification rate",
        "本月释放人员中由工作人员完成信息核查（记录核查人、时间、结果）的人数 ÷ 本月释放人数。",
        "Releases of the month whose information a member of staff verified (who, when, result) ÷ releases due.",
    ),
    Indicator(
        "receipt_rate",
        "rate",
        "回执率",
        "Receipt rate",
        "本月释放人员中经司法所核查（信息无误或已更正）后已向监狱发送衔接回执的人数 ÷ 本月释放人数；"
        "核查为非本辖区的退回县局，由县局指定司法所或确认属外地后发送回执。",
        "Releases of the month whose receipt was sent to the prison after the office verified the notice "
        "(confirmed or corrected) ÷ releases due; a notice the office finds is not its own goes back to the "
        "county, which links it to another office or confirms it belongs elsewhere and receipts it.",
    ),
    Indicator(
        "key_pickup_rate",
        "rate",
        "重点人员必接率",
        "Key-person pick-up rate",
        "本月释放的重点人员中被接回的人数 ÷ 本月释放的重点人员数。",
        "Key persons released in the month who were picked up at the gate ÷ key persons released.",
    ),
    Indicator(
        "ordinary_pickup_rate",
        "rate",
        "一般人员接送率",
        "Ordinary pick-up rate",
        "本月释放的一般人员中被接回的人数 ÷ 本月释放的一般人员数。",
        "Ordinary releasees of the month who were picked up ÷ ordinary releasees.",
    ),
    Indicator(
        "police_control_rate",
        "rate",
        "社区管控率",
        "Police control rate",
        "本月释放的重点人员中公安机关已确认接收管控的人数 ÷ 本月释放的重点人员数。",
        "Key persons released in the month whose handover the police acknowledged ÷ key persons released.",
    ),
    Indicator(
        "key_agreement_rate",
        "rate",
        "帮教协议签订率",
        "Agreement rate",
        "本月释放的重点人员中已签订安置帮教协议的人数 ÷ 本月释放的重点人员数。",
        "Key persons released in the month with a signed assistance agreement ÷ key persons released.",
    ),
    Indicator(
        "applied_agreement_rate",
        "rate",
        "自愿申请人员协议签订率",
        "Agreement rate (applied themselves)",
        "本月释放、本人自愿申请帮教的人员中已签订安置帮教协议的人数 ÷ 本月释放的自愿申请人数。",
        "Persons released in the month who applied for assistance themselves and signed an agreement ÷ those "
        "who applied.",
    ),
    Indicator(
        "release_intake_missed",
        "count",
        "刑释人员漏管人数",
        "Releasees not registered (漏管)",
        "本月释放的重点人员中，释放后规定天数已过仍未报到（或逾期报到）的人数。",
        "Key persons released in the month not registered within the arrival window once it is over.",
    ),
    # --- resettlement (安置帮教): the month's caseload and social workers, then the year to the month's end
    Indicator(
        "resettlement_cases",
        "count",
        "安置帮教人数",
        "Resettlement cases",
        "本月内任一时间处于安置帮教中的刑满释放人员数。",
        "Released persons under resettlement and assistance at any time in the month.",
    ),
    Indicator(
        "help_plan_rate",
        "rate",
        "帮教计划率",
        "Help plan rate",
        "本月安置帮教人数中，截至月末已有经审批的帮教计划的人数 ÷ 本月安置帮教人数。",
        "Resettlement cases in the month with an approved help plan by the month's end ÷ resettlement cases "
        "in the month.",
    ),
    Indicator(
        "social_workers",
        "count",
        "在册社会工作者",
        "Social workers registered",
        "本月内任一时间在本司法所社会力量名册中登记、未退出的社会工作者人数。",
        "Social workers on the office's registry of social forces at any time in the month, not yet left.",
    ),
    Indicator(
        "social_worker_rate",
        "rate",
        "社工配备率",
        "Social-worker staffing",
        "在册社会工作者人数 ÷ 按每50名安置帮教人员配备1名计算的应配人数（不足50名按1名计），最高100%；"
        "本月无安置帮教人员时不计。",
        "Social workers registered ÷ those needed at one for every 50 resettlement cases (a part of 50 counts as "
        "one), at most 100%; no figure without resettlement cases.",
    ),
    Indicator(
        "visits_held",
        "count",
        "亲情会见（已会见）",
        "Family video visits held",
        "本月预约时间在本月、家属按时到司法所完成远程亲情视频会见的次数。",
        "Remote family video visits due in the month that the family attended at the justice office.",
    ),
    Indicator(
        "visit_no_shows",
        "count",
        "亲情会见（未到）",
        "Family video visits missed",
        "本月预约时间在本月、监狱已确认而家属未到的次数。",
        "Visits due in the month that the prison confirmed and the family did not attend.",
    ),
    Indicator(
        "visit_wait_days",
        "average",
        "会见预约等待天数",
        "Days from booking to visit",
        "本月已会见或未到的会见中，从司法所预约到会见时间的平均天数。",
        "Of the month's visits held or missed, the mean days from the office's booking to the visit.",
    ),
    Indicator(
        "reoffending_5y_rate",
        "rate",
        "五年内重新犯罪率",
        "Re-offending within five years",
        "截至本月末五年内释放的人员中，释放后五年内又被法院判处（法院的社区矫正决定按人员编号匹配；"
        "判处实刑等其他判决由司法所登记）的人数 ÷ 五年内释放人数，以判决日期计。",
        "Of those released in the five years to the month's end, the share sentenced again within five years "
        "of release (a court's community-corrections order matched by person id; a prison sentence or any "
        "other judgment recorded by the office) ÷ those released, by the judgment's date.",
        "year",
    ),
    Indicator(
        "reoffending_same_year_rate",
        "rate",
        "当年内重新犯罪率",
        "Re-offending in the same year",
        "本年释放的人员中，释放当年又被法院判处（含判处实刑）的人数 ÷ 本年释放人数。",
        "Of those released this year, the share sentenced again (a prison sentence too) in the year of release "
        "÷ released this year.",
        "year",
    ),
    Indicator(
        "placement_rate",
        "rate",
        "当年内安置率",
        "Placement rate (this year)",
        "本年释放的人员中截至所选月末已落实安置（就业、自主创业、家庭接纳、安置基地）的人数 ÷ 本年释放人数。",
        "Of those released this year, the share placed by the month's end (a job, self-employment, family, "
        "a resettlement base).",
        "year",
    ),
    Indicator(
        "employment_service_rate",
        "rate",
        "当年内就业服务率",
        "Employment service rate (this year)",
        "本年释放的人员中截至所选月末接受过失业登记、技能培训或推荐就业服务的人数 ÷ 本年释放人数。",
        "Of those released this year, the share given unemployment registration, skills training or a job "
        "referral by the month's end.",
        "year",
    ),
    Indicator(
        "assistance_rate",
        "rate",
        "救助帮扶率",
        "Assistance rate (this year)",
        "本年内司法所为刑释人员向民政部门提出的社会救助申请中，"
        "民政部门准予救助或转介其他救助项目的件数 ÷ 本年提出的申请数（尚无答复的计入分母）。",
        "Of the social-assistance requests offices made to civil affairs for released persons this year, "
        "the share granted or referred to another programme ÷ requests made (those not yet answered count "
        "in the whole).",
        "year",
    ),
    # --- aftercare (后续照管) ----------------------------------------------------------------------
    Indicator(
        "aftercare_cases",
        "count",
        "后续照管人数",
        "Aftercare cases",
        "本月内任一时间处于后续照管中的人数。",
        "Aftercare cases active at any time in the month.",
    ),
    Indicator(
        "aftercare_not_arrived",
        "count",
        "已通知未报到人数",
        "Notified, not arrived",
        "戒毒所通知回到本司法所、解除强制隔离戒毒后至本月末仍未报到的人数（解除后三年内）。",
        "Persons a rehabilitation centre notified to the office, released and not yet registered by the "
        "month's end (within three years of release).",
    ),
    Indicator(
        "aftercare_rate",
        "rate",
        "后续照管率",
        "Aftercare rate",
        "本月有电话回访或走访记录的后续照管人数 ÷（后续照管人数 + 已通知未报到人数）。",
        "Aftercare cases with a phone follow-up or a visit in the month ÷ (aftercare cases + notified, not arrived).",
    ),
    Indicator(
        "abstinence_rate",
        "rate",
        "操守保持率",
        "Abstinence rate",
        "截至本月末的一个季度内至少有一次尿检阴性记录、且无阳性、拒检和违法记录的后续照管人数 ÷ "
        "（后续照管人数 + 已通知未报到人数）；未检测不计为保持。",
        "Aftercare cases with at least one negative test in the quarter to the month's end and no positive or "
        "refused test and no police record in it ÷ (aftercare cases + notified, not arrived); untested is not "
        "counted as kept.",
    ),
)

RATES = tuple(i for i in CATALOGUE if i.kind == "rate")
COUNTS = tuple(i for i in CATALOGUE if i.kind != "rate")


def with_aftercare_not_arrived(row: dict[str, Any]) -> dict[str, Any]:
    """后续照管率 and 操守保持率 with the persons a rehabilitation centre notified who have not come
    (handover's `aftercare_not_arrived`) in their denominators beside the cases (supervision's), so
    nobody who never turned up drops out (D9, docs/indicators.md). The row is changed and returned."""
    if "aftercare_cases" not in row and "aftercare_not_arrived" not in row:
        return row
    awaited = row.setdefault("aftercare_not_arrived", 0)
    whole = row.get("aftercare_cases", 0) + awaited
    row["aftercare_rate"] = rate(row.get("aftercare_followed", 0), whole)
    row["abstinence_rate"] = rate(row.get("abstinence_kept", 0), whole)
    return row
