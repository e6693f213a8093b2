"""Plausible names, tax codes and plates for the demo's enterprises, drivers and trucks."""

from __future__ import annotations

import random

from stdnum.cn import uscc
from stdnum.vn import mst

VN_COMPANY_WORDS = [
    "Nông sản",
    "Trái cây",
    "Xuất nhập khẩu",
    "Thương mại",
    "Logistics",
    "Vận tải",
    "Hoa quả",
    "Thủy sản",
    "Điện tử",
    "Máy móc",
    "Dược liệu",
    "Hóa chất",
]
VN_PLACES = [
    "Lạng Sơn",
    "Kinh Bắc",
    "Đồng Tháp",
    "Tiền Giang",
    "Bình Thuận",
    "Hà Nội",
    "Sài Gòn",
    "Tây Nguyên",
    "Hải Phòng",
    "Đông Bắc",
    "Cửu Long",
    "Hồng Hà",
    "Việt Trung",
]
VN_SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Vũ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Lương",
]
VN_MIDDLE = ["Văn", "Đức", "Minh", "Quang", "Thị", "Hữu", "Thanh", "Công"]
VN_GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hải",
    "Hùng",
    "Khánh",
    "Long",
    "Nam",
    "Phong",
    "Quân",
    "Sơn",
    "Thắng",
    "Tuấn",
    "Việt",
    "Hà",
    "Lan",
]
CN_COMPANY_WORDS = ["进出口", "贸易", "物流", "果业"]
CN_SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "农", "韦"]
CN_GIVEN = ["伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "华", "平"]
VN_TRUCK_PROVINCES = [
    12,
    14,
    15,
    20,
    29,
    30,
    34,
    36,
    37,
    43,
    47,
    49,
    51,
    60,
    61,
    63,
    64,
    65,
    67,
    68,
    71,
    72,
    89,
    98,
    99,
]


def _vn_tax_code(rng: random.Random) -> str:
    body = "0" + "".join(str(rng.randrange(10)) for _ in range(8))
    return body + str(mst.calc_check_digit(body))


def _cn_credit_code(rng: random.Random) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = (
        "91450"
        + "".join(str(rng.randrange(10)) for _ in range(3))
        + "".join(rng.choice(alphabet) for _ in range(9))
    )
    return body + str(uscc.calc_check_digit(body))


def _vn_plate(rng: random.Random, series: str) -> str:
    province = rng.choice(VN_TRUCK_PROVINCES)
    return f"{province}{series}-{rng.randrange(1000):03d}.{rng.randrange(100):02d}"


def _cn_plate(rng: random.Random) -> str:
    letters = "ABCDEFKMNP"
    return f"桂{rng.choice(letters)}·{rng.randrange(10000, 99999)}"
