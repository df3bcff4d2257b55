"""A large generated catalogue for search at scale: products named the way Chinese shops name them
(brand + series + noun + attributes, over categories), with 3 SKUs each, plus the ANCHORS: real, popular
products, and QUERIES: labelled searches, each expecting one anchor in its top 3 (kept as a test in
tests/integration/catalog/test_search_relevance.py; bench/search.py times them on 100,000 products).

    python -m seeds.catalog_scale --products 100000 [--database-url postgresql://postgres@127.0.0.1:5432/mall]

Rows go in with COPY (100,000 products / 300,000 SKUs: 80-140 s on the shared dev VM, mostly building the
search indexes; pypinyin ≈ 16 s of CPU) under one merchant `mch_scale`, ids `p_scale_*` / `s_scale_*`; running
again replaces them. The search keys and words are the
catalog's own (domain.search_keys). Written straight to the tables, so no sku.changed is published: this is
data for search and its benchmark, not for orders.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import zlib

import asyncpg

from services.catalog.domain import search_keys
from services.catalog.store.catalogue import WORDS_VERSION, add_search_words
from shared.db import bootstrap, service_dsn

MERCHANT = ("mch_scale", "规模测试商户")

# category id, name, nouns, brands, attributes (each product takes up to two)
KINDS: list[tuple[str, str, list[str], list[str], list[str]]] = [
    ("cat_scale_phone", "手机", ["智能手机", "5G手机", "老人手机", "游戏手机", "折叠屏手机"],
     ["华为", "小米", "荣耀", "OPPO", "vivo", "一加", "真我", "魅族", "中兴", "努比亚"],
     ["8GB+256GB", "12GB+512GB", "曜石黑", "冰川蓝", "全网通", "双卡双待", "长续航", "轻薄"]),
    ("cat_scale_case", "手机配件", ["手机壳", "钢化膜", "数据线", "充电器", "充电宝", "手机支架"],
     ["绿联", "倍思", "安克", "品胜", "罗马仕", "公牛", "南孚"],
     ["透明", "防摔", "快充", "磁吸", "20000毫安", "Type-C", "硅胶", "超薄"]),
    ("cat_scale_computer", "电脑", ["笔记本电脑", "游戏本", "平板电脑", "台式机", "显示器", "机械键盘", "无线鼠标"],
     ["联想", "戴尔", "惠普", "华硕", "宏碁", "机械革命", "雷蛇", "罗技"],
     ["14英寸", "16英寸", "i5", "i7", "32GB", "1TB", "高刷", "办公", "电竞"]),
    ("cat_scale_audio", "耳机音箱", ["蓝牙耳机", "头戴耳机", "降噪耳机", "蓝牙音箱", "智能音箱", "有线耳机"],
     ["漫步者", "索尼", "铁三角", "森海塞尔", "JBL", "小度", "天猫精灵", "QCY"],
     ["主动降噪", "半入耳", "运动", "低延迟", "白色", "黑色", "防水"]),
    ("cat_scale_kitchen", "厨房电器", ["电饭煲", "电压力锅", "空气炸锅", "破壁机", "豆浆机", "电热水壶", "微波炉",
                                      "电磁炉", "榨汁机"],
     ["美的", "九阳", "苏泊尔", "小熊", "格兰仕", "摩飞", "松下", "东菱"],
     ["家用", "4L", "5L", "智能预约", "不粘内胆", "多功能", "大容量", "迷你"]),
    ("cat_scale_home", "家居日用", ["保温杯", "收纳箱", "晾衣架", "拖把", "垃圾桶", "衣架", "毛巾", "抽纸"],
     ["膳魔师", "象印", "虎牌", "茶花", "洁柔", "维达", "振兴", "富光"],
     ["500ml", "不锈钢", "家用", "加厚", "大号", "便携", "纯棉", "3层"]),
    ("cat_scale_bedding", "床品", ["四件套", "乳胶枕", "蚕丝被", "羽绒被", "凉席", "床垫", "毛毯"],
     ["罗莱", "富安娜", "水星家纺", "梦洁", "博洋", "南极人"],
     ["1.8米", "1.5米", "全棉", "夏季", "加厚", "单人", "双人", "天然"]),
    ("cat_scale_snack", "零食", ["坚果礼盒", "猪肉脯", "芒果干", "辣条", "薯片", "牛肉干", "饼干", "巧克力"],
     ["三只松鼠", "良品铺子", "百草味", "卫龙", "来伊份", "盐津铺子", "乐事", "德芙"],
     ["原味", "香辣", "500g", "小包装", "整箱", "网红", "休闲", "独立包装"]),
    ("cat_scale_tea", "茶叶", ["龙井", "普洱", "红茶", "白茶", "铁观音", "绿茶", "花茶", "大红袍"],
     ["狮峰", "贡牌", "小罐茶", "竹叶青", "八马", "大益", "张一元", "立顿"],
     ["明前", "特级", "250克", "礼盒装", "散装", "罐装", "2024新茶", "浓香"]),
    ("cat_scale_drink", "饮料", ["矿泉水", "气泡水", "纯牛奶", "酸奶", "果汁", "咖啡", "功能饮料"],
     ["农夫山泉", "元气森林", "伊利", "蒙牛", "娃哈哈", "雀巢", "东鹏", "怡宝"],
     ["24瓶", "整箱", "无糖", "低脂", "550ml", "1L", "原味", "冰镇"]),
    ("cat_scale_men", "男装", ["T恤", "衬衫", "夹克", "羽绒服", "牛仔裤", "休闲裤", "卫衣", "POLO衫"],
     ["海澜之家", "七匹狼", "太平鸟", "李宁", "安踏", "优衣库", "杰克琼斯", "GXG"],
     ["纯棉", "修身", "宽松", "春季", "冬季", "黑色", "藏青", "加大码"]),
    ("cat_scale_women", "女装", ["连衣裙", "半身裙", "针织衫", "风衣", "阔腿裤", "毛呢大衣", "雪纺衫"],
     ["伊芙丽", "欧时力", "ONLY", "维沙曼", "太平鸟女装", "拉夏贝尔", "茵曼"],
     ["法式", "碎花", "收腰", "显瘦", "韩版", "长款", "短款", "气质"]),
    ("cat_scale_shoes", "鞋靴", ["运动鞋", "跑步鞋", "板鞋", "皮鞋", "帆布鞋", "雪地靴", "拖鞋"],
     ["耐克", "阿迪达斯", "李宁", "安踏", "特步", "回力", "斯凯奇", "鸿星尔克"],
     ["透气", "减震", "男款", "女款", "白色", "防滑", "轻便", "加绒"]),
    ("cat_scale_beauty", "美妆", ["口红", "面霜", "精华液", "洗面奶", "防晒霜", "面膜", "眼霜", "粉底液"],
     ["欧莱雅", "兰蔻", "雅诗兰黛", "百雀羚", "自然堂", "珀莱雅", "完美日记", "花西子"],
     ["保湿", "补水", "美白", "50ml", "敏感肌", "持久", "哑光", "滋润"]),
    ("cat_scale_baby", "母婴", ["纸尿裤", "奶粉", "奶瓶", "婴儿湿巾", "儿童推车", "儿童安全座椅"],
     ["帮宝适", "好奇", "花王", "飞鹤", "贝亲", "好孩子", "惠氏"],
     ["新生儿", "L码", "XL码", "3段", "便携", "加厚", "超薄", "大包装"]),
]
SERIES = ["", "", "Pro", "Max", "Plus", "青春版", "旗舰款", "经典款", "2024款", "尊享版", "Lite", "S"]

# The products the labelled queries expect: real, best-selling names (so many noise products share their words).
# (brand, name, kind index into KINDS)
ANCHORS: list[tuple[str, str, int]] = [
    ("华为", "华为 Mate60 Pro 手机 雅川青", 0), ("苹果", "Apple iPhone 15 Pro Max 手机", 0),
    ("小米", "小米14 Ultra 徕卡影像手机", 0), ("荣耀", "荣耀 Magic6 至臻版", 0),
    ("OPPO", "OPPO Find X7 超级影像手机", 0), ("vivo", "vivo X100 蔡司长焦手机", 0),
    ("绿联", "绿联 65W 氮化镓充电器", 1), ("安克", "安克 磁吸无线充电宝", 1),
    ("联想", "联想 拯救者 Y9000P 游戏本", 2), ("苹果", "Apple MacBook Air 15 笔记本电脑", 2),
    ("罗技", "罗技 MX Master 3S 无线鼠标", 2), ("华为", "华为 MatePad 11 平板电脑", 2),
    ("索尼", "索尼 WH-1000XM5 头戴降噪耳机", 3), ("苹果", "Apple AirPods Pro 2 无线耳机", 3),
    ("小度", "小度 智能音箱 大金刚", 3),
    ("美的", "美的 电饭煲 4L 智能预约", 4), ("九阳", "九阳 破壁机 免手洗", 4),
    ("小熊", "小熊 空气炸锅 家用 5L", 4), ("苏泊尔", "苏泊尔 电压力锅 球釜", 4),
    ("膳魔师", "膳魔师 保温杯 500ml 不锈钢", 5), ("维达", "维达 抽纸 超韧 3层", 5),
    ("茶花", "茶花 收纳箱 特大号", 5),
    ("水星家纺", "水星家纺 全棉四件套", 6), ("罗莱", "罗莱 蚕丝被 春秋被", 6),
    ("三只松鼠", "三只松鼠 每日坚果 礼盒", 7), ("良品铺子", "良品铺子 猪肉脯 靖江特产", 7),
    ("卫龙", "卫龙 辣条 大面筋", 7), ("德芙", "德芙 丝滑牛奶巧克力", 7),
    ("狮峰", "狮峰 西湖龙井 明前特级", 8), ("大益", "大益 普洱茶 7572 熟茶", 8),
    ("农夫山泉", "农夫山泉 饮用天然水 550ml", 9), ("元气森林", "元气森林 白桃味气泡水", 9),
    ("伊利", "伊利 安慕希 希腊风味酸奶", 9),
    ("优衣库", "优衣库 男装 摇粒绒夹克", 10), ("海澜之家", "海澜之家 商务休闲衬衫", 10),
    ("ONLY", "ONLY 法式碎花连衣裙", 11),
    ("耐克", "耐克 Air Force 1 空军一号 板鞋", 12), ("李宁", "李宁 超轻20 跑步鞋", 12),
    ("回力", "回力 经典帆布鞋", 12),
    ("雅诗兰黛", "雅诗兰黛 小棕瓶 精华液", 13), ("兰蔻", "兰蔻 菁纯 口红", 13),
    ("百雀羚", "百雀羚 水能量 面霜", 13),
    ("帮宝适", "帮宝适 一级帮 纸尿裤", 14), ("飞鹤", "飞鹤 星飞帆 奶粉 3段", 14),
]
ANCHOR_SOLD = 200_000

# (query, the anchor expected in the top 3): Chinese words, full pinyin, initials, typos, several words.
QUERIES: list[tuple[str, str]] = [
    # Chinese words and model names
    ("华为 mate60", "华为 Mate60 Pro 手机 雅川青"), ("iphone 15 pro max", "Apple iPhone 15 Pro Max 手机"),
    ("小米14 ultra", "小米14 Ultra 徕卡影像手机"), ("荣耀 magic6", "荣耀 Magic6 至臻版"),
    ("find x7", "OPPO Find X7 超级影像手机"), ("x100 蔡司", "vivo X100 蔡司长焦手机"),
    ("氮化镓充电器", "绿联 65W 氮化镓充电器"), ("无线充电宝", "安克 磁吸无线充电宝"),
    ("拯救者", "联想 拯救者 Y9000P 游戏本"), ("macbook air", "Apple MacBook Air 15 笔记本电脑"),
    ("mx master", "罗技 MX Master 3S 无线鼠标"), ("matepad", "华为 MatePad 11 平板电脑"),
    ("降噪耳机", "索尼 WH-1000XM5 头戴降噪耳机"), ("airpods", "Apple AirPods Pro 2 无线耳机"),
    ("大金刚", "小度 智能音箱 大金刚"), ("电饭煲", "美的 电饭煲 4L 智能预约"), ("破壁机", "九阳 破壁机 免手洗"),
    ("空气炸锅", "小熊 空气炸锅 家用 5L"), ("电压力锅", "苏泊尔 电压力锅 球釜"),
    ("保温杯", "膳魔师 保温杯 500ml 不锈钢"), ("抽纸", "维达 抽纸 超韧 3层"), ("收纳箱", "茶花 收纳箱 特大号"),
    ("四件套", "水星家纺 全棉四件套"), ("蚕丝被", "罗莱 蚕丝被 春秋被"), ("每日坚果", "三只松鼠 每日坚果 礼盒"),
    ("猪肉脯", "良品铺子 猪肉脯 靖江特产"), ("辣条", "卫龙 辣条 大面筋"), ("巧克力", "德芙 丝滑牛奶巧克力"),
    ("西湖龙井", "狮峰 西湖龙井 明前特级"), ("普洱茶", "大益 普洱茶 7572 熟茶"),
    ("天然水", "农夫山泉 饮用天然水 550ml"), ("气泡水", "元气森林 白桃味气泡水"),
    ("安慕希", "伊利 安慕希 希腊风味酸奶"), ("摇粒绒", "优衣库 男装 摇粒绒夹克"), ("连衣裙", "ONLY 法式碎花连衣裙"),
    ("空军一号", "耐克 Air Force 1 空军一号 板鞋"), ("跑步鞋", "李宁 超轻20 跑步鞋"), ("帆布鞋", "回力 经典帆布鞋"),
    ("小棕瓶", "雅诗兰黛 小棕瓶 精华液"), ("口红", "兰蔻 菁纯 口红"), ("纸尿裤", "帮宝适 一级帮 纸尿裤"),
    ("奶粉", "飞鹤 星飞帆 奶粉 3段"),
    # full pinyin
    ("dianfanbao", "美的 电饭煲 4L 智能预约"), ("baowenbei", "膳魔师 保温杯 500ml 不锈钢"),
    ("kongqizhaguo", "小熊 空气炸锅 家用 5L"), ("xihulongjing", "狮峰 西湖龙井 明前特级"),
    ("zhuroufu", "良品铺子 猪肉脯 靖江特产"), ("lianyiqun", "ONLY 法式碎花连衣裙"),
    ("zhiniaoku", "帮宝适 一级帮 纸尿裤"), ("qipaoshui", "元气森林 白桃味气泡水"),
    # initials
    ("pbj", "九阳 破壁机 免手洗"), ("bwb", "膳魔师 保温杯 500ml 不锈钢"), ("kqzg", "小熊 空气炸锅 家用 5L"),
    ("xhlj", "狮峰 西湖龙井 明前特级"), ("zjz", "联想 拯救者 Y9000P 游戏本"), ("mrjg", "三只松鼠 每日坚果 礼盒"),
    # typos (letters swapped or dropped, homophones)
    ("iphnoe", "Apple iPhone 15 Pro Max 手机"), ("macbok", "Apple MacBook Air 15 笔记本电脑"),
    ("保温被", "膳魔师 保温杯 500ml 不锈钢"), ("电饭包", "美的 电饭煲 4L 智能预约"),
    ("拯救着", "联想 拯救者 Y9000P 游戏本"), ("xiaomi 14 ultar", "小米14 Ultra 徕卡影像手机"),
    ("kongqizaguo", "小熊 空气炸锅 家用 5L"), ("airpod", "Apple AirPods Pro 2 无线耳机"),
    # several words, any order
    ("华为 平板", "华为 MatePad 11 平板电脑"), ("索尼 耳机", "索尼 WH-1000XM5 头戴降噪耳机"),
    ("电饭煲 美的", "美的 电饭煲 4L 智能预约"), ("板鞋 耐克", "耐克 Air Force 1 空军一号 板鞋"),
    ("yili suannai", "伊利 安慕希 希腊风味酸奶"), ("lining paobuxie", "李宁 超轻20 跑步鞋"),
]  # best sellers: among equally good matches the most sold ranks first


def anchor_id(name: str) -> str:
    return f"p_scale_a{[a[1] for a in ANCHORS].index(name):03d}"


def generated(count: int, seed: int = 17) -> list[tuple[str, str, str, str, int]]:
    """(id, category id, name, brand, sold) of the anchors then `count` - len(ANCHORS) generated products."""
    rng = random.Random(seed)
    rows = [(f"p_scale_a{i:03d}", KINDS[kind][0], name, brand, ANCHOR_SOLD)
            for i, (brand, name, kind) in enumerate(ANCHORS)]
    for n in range(max(count - len(ANCHORS), 0)):
        category, _, nouns, brands, attrs = KINDS[rng.randrange(len(KINDS))]
        brand = rng.choice(brands)
        series = rng.choice(SERIES)
        picked = rng.sample(attrs, rng.randint(1, 2))
        name = " ".join(p for p in (brand, f"{rng.choice(nouns)}{series}", *picked) if p)
        sold = int(rng.paretovariate(1.2) * 10) - 10  # most sell little, a few sell a lot
        rows.append((f"p_scale_{n:06d}", category, name, brand, min(sold, ANCHOR_SOLD // 2)))
    return rows


async def seed_scale(conn: asyncpg.Connection, products: int, skus_per_product: int = 3) -> None:
    """Replace the scale catalogue in the catalog schema `conn` sees (search_path catalog)."""
    kinds = {k[0]: k[1] for k in KINDS}
    rows = generated(products)
    product_rows, sku_rows = [], []
    words: set[str] = set()
    for pid, category, name, brand, sold in rows:
        keys = search_keys(name, brand, kinds[category])
        words.update(keys.words)
        product_rows.append((pid, MERCHANT[0], category, name, brand, True, sold, keys.search_text, keys.pinyin,
                             keys.initials, True, WORDS_VERSION))
        base = 990 + (zlib.crc32(pid.encode()) % 500) * 100
        for k in range(skus_per_product):
            sku_rows.append((f"s{pid[1:]}_{k}", pid, json.dumps({"规格": f"款式{k + 1}"}), base + k * 1000, 100))
    async with conn.transaction():
        await conn.execute("DELETE FROM skus WHERE product_id LIKE 'p\\_scale\\_%'")
        await conn.execute("DELETE FROM products WHERE id LIKE 'p\\_scale\\_%'")
        await conn.execute("INSERT INTO merchants (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING", *MERCHANT)
        await conn.executemany("INSERT INTO categories (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                               list(kinds.items()))
        await conn.copy_records_to_table(
            "products", records=product_rows,
            columns=["id", "merchant_id", "category_id", "name", "brand", "active", "sold", "search_text", "pinyin",
                     "initials", "has_sellable_sku", "search_words_version"])
        # specs go through text: a pool's jsonb codec may be text-only, and COPY speaks binary
        await conn.execute("CREATE TEMP TABLE scale_skus (id text, product_id text, specs text, price_fen bigint, "
                           "available bigint) ON COMMIT DROP")
        await conn.copy_records_to_table("scale_skus", records=sku_rows)
        await conn.execute("INSERT INTO skus (id, product_id, specs, price_fen, available) "
                           "SELECT id, product_id, specs::jsonb, price_fen, available FROM scale_skus")
        await add_search_words(conn, words)
    await conn.execute("ANALYZE products")
    await conn.execute("ANALYZE skus")
    await conn.execute("ANALYZE product_search")  # (kept by a trigger: the planner's estimates of common grams)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("MALL_DATABASE_URL",
                                                                 "postgresql://postgres@127.0.0.1:5432/mall"))
    parser.add_argument("--products", type=int, default=100_000)
    args = parser.parse_args()
    await bootstrap(args.database_url, "catalog")
    conn = await asyncpg.connect(service_dsn(args.database_url, "catalog"), server_settings={"search_path": "catalog"})
    try:
        await seed_scale(conn, args.products)
        print(f"catalog: {args.products} products, {args.products * 3} SKUs under {MERCHANT[0]}")
    finally:
        await conn.close()


if __name__ == "__main__":
    asyncio.run(main())
