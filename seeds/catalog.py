"""Demo catalogue for local runs: 3 merchants, 10 Hangzhou stores, a category tree and 200 products with
Chinese names, valid EAN-13 barcodes (China prefix 69x) and stock; some rentable SKUs carry a deposit.

`seed(db)` writes through the catalog's own functions, so sku.changed and store.changed go through the
outbox (orders keeps its price copy, marketing its store copy). Fixed ids make it idempotent: a second run
changes nothing and emits nothing. MERCHANTS and STORES are exported for other seeds.
"""

from __future__ import annotations

from typing import Any

from services.catalog.domain import make_ean13
from services.catalog.flows import catalogue as commands
from services.catalog.flows.catalogue import ProductDraft, SkuDraft
from shared.db import Database

MERCHANTS: list[dict[str, str]] = [
    {"id": "mch_001", "name": "西湖数码旗舰店"},
    {"id": "mch_002", "name": "钱塘生活超市"},
    {"id": "mch_003", "name": "运河潮流百货"},
]

# Real places in Hangzhou (WGS-84, rounded); sto_001-004 → mch_001, 005-007 → mch_002, 008-010 → mch_003.
_STORE_ROWS = [  # id, merchant, name, address, lat, lng
    ("sto_001", "mch_001", "湖滨银泰店", "上城区延安路258号", 30.2577, 120.1664),
    ("sto_002", "mch_001", "武林广场店", "拱墅区武林广场1号", 30.2745, 120.1640),
    ("sto_003", "mch_001", "西溪印象城店", "余杭区五常大道1号", 30.2770, 120.0556),
    ("sto_004", "mch_001", "滨江宝龙城店", "滨江区滨兴路1366号", 30.2086, 120.2115),
    ("sto_005", "mch_002", "钱江新城店", "上城区富春路188号", 30.2468, 120.2123),
    ("sto_006", "mch_002", "城西银泰店", "拱墅区丰潭路380号", 30.2958, 120.1108),
    ("sto_007", "mch_002", "萧山万象汇店", "萧山区市心北路199号", 30.1846, 120.2660),
    ("sto_008", "mch_003", "下沙金沙天街店", "钱塘区金沙大道560号", 30.3095, 120.3430),
    ("sto_009", "mch_003", "大运河购物中心店", "拱墅区丽水路58号", 30.3184, 120.1422),
    ("sto_010", "mch_003", "杭州东站店", "上城区天城路1号", 30.2906, 120.2128),
]
STORES: list[dict[str, Any]] = [dict(zip(("id", "merchant_id", "name", "address", "lat", "lng"), row, strict=True))
                                   for row in _STORE_ROWS]

# (id, name, parent)
CATEGORIES: list[tuple[str, str, str | None]] = [
    ("cat_digital", "数码", None), ("cat_phone", "手机", "cat_digital"), ("cat_computer", "电脑", "cat_digital"),
    ("cat_audio", "耳机音箱", "cat_digital"),
    ("cat_food", "食品", None), ("cat_snack", "零食", "cat_food"), ("cat_tea", "茶叶", "cat_food"),
    ("cat_drink", "饮料", "cat_food"),
    ("cat_home", "家居", None), ("cat_kitchen", "厨具", "cat_home"), ("cat_bedding", "床品", "cat_home"),
    ("cat_fashion", "服饰", None), ("cat_men", "男装", "cat_fashion"), ("cat_women", "女装", "cat_fashion"),
    ("cat_shoes", "鞋靴", "cat_fashion"), ("cat_beauty", "美妆", None),
    ("cat_rental", "租赁", None), ("cat_rent_digital", "数码租赁", "cat_rental"),
    ("cat_rent_outdoor", "户外租赁", "cat_rental"),
]

# category → (merchant, [(brand, name, base price in fen)], spec name, spec values, deposit in fen)
LINES: dict[str, tuple[str, list[tuple[str, str, int]], str, list[str], int]] = {
    "cat_phone": ("mch_001", [("华为", "华为 Mate60 Pro 手机", 699_900), ("华为", "华为 nova 12 手机", 279_900),
                              ("小米", "小米14 智能手机", 399_900), ("小米", "Redmi K70 手机", 249_900),
                              ("苹果", "Apple iPhone 15 手机", 599_900), ("苹果", "Apple iPhone 15 Pro 手机", 799_900),
                              ("OPPO", "OPPO Find X7 手机", 449_900), ("vivo", "vivo X100 手机", 399_900),
                              ("荣耀", "荣耀 Magic6 手机", 439_900), ("一加", "一加 12 手机", 429_900)],
                  "版本", ["8GB+256GB", "12GB+512GB"], 0),
    "cat_computer": ("mch_001", [("联想", "联想小新 Pro14 笔记本电脑", 549_900), ("华为", "华为 MateBook 14", 599_900),
                                 ("苹果", "Apple MacBook Air 13", 799_900), ("戴尔", "戴尔 灵越14 笔记本", 459_900),
                                 ("小米", "小米平板6", 199_900), ("华为", "华为 MatePad 11 平板", 249_900)],
                     "颜色", ["深空灰", "银色"], 0),
    "cat_audio": ("mch_001", [("华为", "华为 FreeBuds Pro 3 无线耳机", 149_900),
                              ("苹果", "Apple AirPods Pro 2", 189_900),
                              ("小米", "小米蓝牙音箱", 19_900), ("索尼", "索尼 WH-1000XM5 头戴耳机", 249_900),
                              ("漫步者", "漫步者 蓝牙耳机", 19_900), ("JBL", "JBL 便携音箱", 69_900)],
                  "颜色", ["黑色", "白色"], 0),
    "cat_snack": ("mch_002", [("三只松鼠", "三只松鼠 每日坚果", 5_990), ("良品铺子", "良品铺子 猪肉脯", 3_990),
                              ("百草味", "百草味 芒果干", 2_590), ("卫龙", "卫龙 辣条大礼包", 2_990),
                              ("知味观", "知味观 杭州定胜糕", 3_800), ("五芳斋", "五芳斋 粽子礼盒", 8_800),
                              ("旺旺", "旺旺 雪饼", 1_590), ("乐事", "乐事 薯片", 890)],
                  "规格", ["小包", "家庭装"], 0),
    "cat_tea": ("mch_002", [("狮峰", "西湖龙井 明前特级", 68_800), ("贡牌", "贡牌 龙井茶", 39_800),
                            ("小罐茶", "小罐茶 大红袍", 49_900), ("竹叶青", "竹叶青 峨眉绿茶", 29_900),
                            ("立顿", "立顿 红茶包", 3_990), ("安吉", "安吉白茶", 25_800)],
                "规格", ["125克", "250克"], 0),
    "cat_drink": ("mch_002", [("农夫山泉", "农夫山泉 饮用天然水", 200), ("娃哈哈", "娃哈哈 AD钙奶", 1_990),
                              ("元气森林", "元气森林 气泡水", 550), ("可口可乐", "可口可乐", 350),
                              ("东方树叶", "东方树叶 茉莉花茶", 500), ("蒙牛", "蒙牛 纯牛奶", 6_990)],
                  "规格", ["单瓶", "整箱"], 0),
    "cat_kitchen": ("mch_002", [("美的", "美的 电饭煲", 29_900), ("苏泊尔", "苏泊尔 不粘炒锅", 19_900),
                                ("九阳", "九阳 豆浆机", 39_900), ("膳魔师", "膳魔师 保温杯", 19_900),
                                ("双立人", "双立人 刀具套装", 89_900), ("小熊", "小熊 空气炸锅", 25_900)],
                    "颜色", ["白色", "红色"], 0),
    "cat_bedding": ("mch_002", [("罗莱", "罗莱 四件套", 59_900), ("水星", "水星家纺 蚕丝被", 99_900),
                                ("富安娜", "富安娜 乳胶枕", 29_900), ("无印良品", "无印良品 纯棉毛巾", 3_900)],
                    "尺寸", ["1.5米", "1.8米"], 0),
    "cat_men": ("mch_003", [("海澜之家", "海澜之家 男士衬衫", 19_900), ("优衣库", "优衣库 男装T恤", 7_900),
                            ("李宁", "李宁 运动卫衣", 29_900), ("波司登", "波司登 羽绒服", 129_900),
                            ("杰克琼斯", "杰克琼斯 牛仔裤", 39_900)],
                "尺码", ["M", "L", "XL"], 0),
    "cat_women": ("mch_003", [("太平鸟", "太平鸟 连衣裙", 49_900), ("优衣库", "优衣库 女装针织衫", 14_900),
                              ("江南布衣", "江南布衣 真丝衬衫", 89_900), ("波司登", "波司登 女士羽绒服", 139_900),
                              ("ONLY", "ONLY 半身裙", 29_900)],
                  "尺码", ["S", "M", "L"], 0),
    "cat_shoes": ("mch_003", [("安踏", "安踏 跑步鞋", 39_900), ("耐克", "Nike Air Force 1 运动鞋", 79_900),
                              ("阿迪达斯", "adidas 三叶草板鞋", 69_900), ("回力", "回力 帆布鞋", 9_900),
                              ("百丽", "百丽 女士高跟鞋", 59_900)],
                  "尺码", ["39", "41", "43"], 0),
    "cat_beauty": ("mch_003", [("珀莱雅", "珀莱雅 精华液", 32_900), ("花西子", "花西子 散粉", 14_900),
                               ("完美日记", "完美日记 口红", 8_900), ("自然堂", "自然堂 面霜", 19_900),
                               ("百雀羚", "百雀羚 水乳套装", 25_900)],
                   "规格", ["标准装", "旅行装"], 0),
    "cat_rent_digital": ("mch_001", [("佳能", "佳能 EOS R6 相机租赁", 9_900), ("大疆", "大疆 无人机租赁", 12_900),
                                     ("索尼", "索尼 微单相机租赁", 8_900), ("任天堂", "Switch 游戏机租赁", 3_900)],
                         "租期", ["3天", "7天"], 300_000),
    "cat_rent_outdoor": ("mch_003", [("牧高笛", "牧高笛 露营帐篷租赁", 4_900), ("骆驼", "骆驼 户外睡袋租赁", 1_900),
                                     ("迪卡侬", "迪卡侬 折叠桌椅租赁", 2_900)],
                         "租期", ["1天", "3天"], 50_000),
}

# Shipping weight of one SKU by category, in grams (freight templates by weight count it; mch_002's does).
WEIGHT_G = {"cat_phone": 450, "cat_computer": 2_200, "cat_audio": 250, "cat_snack": 600, "cat_tea": 400,
            "cat_drink": 1_300, "cat_kitchen": 3_500, "cat_bedding": 4_000, "cat_men": 350, "cat_women": 450,
            "cat_shoes": 1_100, "cat_beauty": 300, "cat_rent_digital": 1_800, "cat_rent_outdoor": 5_000}

EDITIONS = ["", " 2024款", " 礼盒装", " 经典款", " 升级版", " 限定版", " 热销款", " 新款", " 加大版", " 典藏版"]
PRODUCT_COUNT = 200


def products() -> list[ProductDraft]:
    """200 products: every line of every category in turn, with editions once the base names run out."""
    drafts: list[ProductDraft] = []
    bases = [(cat, merchant, brand, name, price, spec, values, deposit)
             for cat, (merchant, names, spec, values, deposit) in LINES.items()
             for brand, name, price in names]
    edition = 0
    while len(drafts) < PRODUCT_COUNT:
        for cat, merchant, brand, name, price, spec, values, deposit in bases:
            n = len(drafts) + 1
            if n > PRODUCT_COUNT:
                break
            stores = [s["id"] for s in STORES if s["merchant_id"] == merchant]
            skus = [SkuDraft(id=f"sku_{n:04d}_{i + 1}", specs={spec: value},
                             price_fen=price + i * _step(price) + edition * 100,
                             deposit_fen=deposit, stock=20 + (n * 7 + i * 13) % 180, weight_g=WEIGHT_G[cat],
                             barcode=make_ean13(f"69{int(merchant[-1])}{n:04d}{i + 1:02d}000"))
                    for i, value in enumerate(values)]
            drafts.append(ProductDraft(
                id=f"prd_{n:04d}", merchant_id=merchant, category_id=cat, name=f"{name}{EDITIONS[edition]}",
                brand=brand, description=f"{brand}正品，{name}，杭州门店可自提。",
                image=f"/static/products/prd_{n:04d}.jpg",
                store_ids=stores[: 1 + n % len(stores)], skus=skus))
        edition += 1
    return drafts


def _step(price_fen: int) -> int:
    return max(100, price_fen // 10 // 100 * 100)


async def seed(db: Database) -> None:
    async with db.transaction() as tx:
        for merchant in MERCHANTS:
            await commands.save_merchant(tx, merchant["id"], merchant["name"])
        for position, (category_id, name, parent) in enumerate(CATEGORIES):
            await commands.save_category(tx, category_id, name, parent, position)
        for store in STORES:
            await commands.save_store(tx, store["id"], store["merchant_id"], store["name"], store["address"],
                                      store["lat"], store["lng"])
    drafts = products()
    for start in range(0, len(drafts), 50):  # a few transactions, not 200 commits
        async with db.transaction() as tx:
            for draft in drafts[start:start + 50]:
                await commands.save_product(tx, draft)
