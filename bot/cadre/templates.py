"""Ready texts for the campaign month (Tháng cao điểm vận động tham gia BHYT, 1–30/11)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import policies
from bot.i18n import Gettext, money

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Template:
    key: str
    title: str  # Vietnamese msgid
    text: str  # Vietnamese msgid; {amount} = the first household member's yearly amount


def _noop(s: str) -> str:  # marks msgids for extraction; translated when shown
    return s


TEMPLATES = (
    Template(
        "mo_dau",
        _noop("📣 Mở đầu tháng vận động"),
        _noop(
            "📣 Tháng cao điểm vận động nhân dân tham gia BHYT (01/11 – 30/11)\n"
            "Thẻ BHYT giúp cả nhà yên tâm khi ốm đau: quỹ BHYT chi trả phần lớn chi phí "
            "khám chữa bệnh đúng tuyến. Mua theo hộ gia đình: người thứ nhất {amount}/năm, "
            "từ người thứ hai mức đóng giảm dần (70 %, 60 %, 50 %, 40 %).\n"
            "Bấm nút bên dưới để tính số tiền cho nhà bạn."
        ),
    ),
    Template(
        "gia_han",
        _noop("🔁 Nhắc gia hạn thẻ"),
        _noop(
            "🔁 Thẻ BHYT của gia đình bạn sắp hết hạn?\n"
            "Hãy gia hạn trước ngày hết hạn để quyền lợi không bị gián đoạn; tham gia liên tục "
            "còn được hưởng thêm quyền lợi. Mức đóng người thứ nhất {amount}/năm.\n"
            "Bấm nút bên dưới để tính tiền, đại lý thu của xã/phường sẽ hỗ trợ tận nhà."
        ),
    ),
    Template(
        "can_ngheo",
        _noop("🤝 Hỗ trợ hộ cận nghèo"),
        _noop(
            "🤝 Hộ cận nghèo được Nhà nước hỗ trợ ít nhất 70 % mức đóng BHYT; nhiều tỉnh, "
            "thành phố hỗ trợ thêm phần còn lại.\n"
            "Nếu gia đình bạn thuộc hộ cận nghèo, người cao tuổi hoặc đối tượng chính sách, "
            "bấm nút bên dưới để xem mình được hỗ trợ bao nhiêu."
        ),
    ),
    Template(
        "tuan_cuoi",
        _noop("⏳ Tuần cuối tháng vận động"),
        _noop(
            "⏳ Chỉ còn ít ngày nữa là kết thúc tháng cao điểm vận động tham gia BHYT (30/11).\n"
            "Cán bộ và đại lý thu BHYT của xã/phường vẫn hỗ trợ làm thẻ tại nhà. Người thứ "
            "nhất {amount}/năm.\nBấm nút bên dưới để tính tiền và nhờ cán bộ liên hệ."
        ),
    ),
)
BY_KEY = {t.key: t for t in TEMPLATES}


def first_member_amount(
    rules: policies.Rules, province_slug: str | None, today: date
) -> int | None:
    """The household line's first member for 12 months, from the policy engine."""
    try:
        q = policies.quote(
            policies.QuoteRequest(today, 12, (policies.Member(30, ()),), province_slug), rules
        )
        return int(q.total_vnd)
    except Exception:  # a province the engine does not model: leave the amount out
        log.warning("no first-member amount for %s", province_slug, exc_info=True)
        return None


def fill(_: Gettext, t: Template, amount: int | None) -> str:
    text = _(t.text)
    if "{amount}" in text:
        return text.format(amount=money(amount) if amount else _("theo mức của Nhà nước"))
    return text
