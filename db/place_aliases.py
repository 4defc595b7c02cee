"""Other names people give a province: abbreviations and the provinces merged in 2025.

Keys are written as people write them (accents kept for the tie-break between a province and a
commune of the same name); values are today's province slug (vietnam-provinces codename).
"""

from __future__ import annotations

# Resolution 202/2025/QH15 merged the 63 provinces into 34; every former province went whole
# into one new province (checked against vietnamadminunits' converter_2025 DICT_PROVINCE).
FORMER_PROVINCE_SOURCE = "Nghị quyết 202/2025/QH15"

FORMER_PROVINCES: dict[str, str] = {
    "Hà Giang": "tuyen_quang",
    "Yên Bái": "lao_cai",
    "Bắc Kạn": "thai_nguyen",
    "Bắc Cạn": "thai_nguyen",
    "Vĩnh Phúc": "phu_tho",
    "Hòa Bình": "phu_tho",
    "Bắc Giang": "bac_ninh",
    "Thái Bình": "hung_yen",
    "Hải Dương": "hai_phong",
    "Hà Nam": "ninh_binh",
    "Nam Định": "ninh_binh",
    "Quảng Bình": "quang_tri",
    "Quảng Nam": "da_nang",
    "Kon Tum": "quang_ngai",
    "Bình Định": "gia_lai",
    "Ninh Thuận": "khanh_hoa",
    "Đắk Nông": "lam_dong",
    "Bình Thuận": "lam_dong",
    "Phú Yên": "dak_lak",
    "Bình Dương": "ho_chi_minh",
    "Bà Rịa - Vũng Tàu": "ho_chi_minh",
    "Bà Rịa Vũng Tàu": "ho_chi_minh",
    "BRVT": "ho_chi_minh",
    "BR VT": "ho_chi_minh",
    "Bình Phước": "dong_nai",
    "Long An": "tay_ninh",
    "Sóc Trăng": "can_tho",
    "Hậu Giang": "can_tho",
    "Bến Tre": "vinh_long",
    "Trà Vinh": "vinh_long",
    "Tiền Giang": "dong_thap",
    "Bạc Liêu": "ca_mau",
    "Kiên Giang": "an_giang",
    "Thừa Thiên Huế": "hue",
    "Thừa Thiên - Huế": "hue",
    "TTH": "hue",
}

# Abbreviations and everyday names of today's provinces.
PROVINCE_ABBREVIATIONS: dict[str, str] = {
    "HN": "ha_noi",
    "HP": "hai_phong",
    "HCM": "ho_chi_minh",
    "TPHCM": "ho_chi_minh",
    "SG": "ho_chi_minh",
    "Sài Gòn": "ho_chi_minh",
    "Saigon": "ho_chi_minh",
    "Hồ Chí Minh": "ho_chi_minh",
    "ĐN": "da_nang",
    "Đà Nẵng": "da_nang",
    "Đắc Lắc": "dak_lak",
    "Đắk Lắc": "dak_lak",
    "Daklak": "dak_lak",
    "Cần Thơ": "can_tho",
    "Huế": "hue",
}
