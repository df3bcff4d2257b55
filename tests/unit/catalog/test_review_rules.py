"""Review rules: blocked terms slip past neither case nor spaces; images come from the image store; the summary."""

from services.catalog.domain import blocked_term_in, rating_summary, review_images_ok

NAME = "0123456789abcdef0123456789abcdef01234567"


def test_blocked_terms_are_found_whatever_the_case_or_spacing():
    assert blocked_term_in("好评！加 微 信 vx123", ["加微信"]) == "加微信"
    assert blocked_term_in("Add VX123 now", ["vx123"]) == "vx123"
    assert blocked_term_in("很好用", ["加微信"]) is None


def test_only_image_store_urls_are_review_images():
    assert review_images_ok([f"https://cdn.example/i/{NAME}.jpg", f"/api/images/{NAME}.webp"])
    for bad in ["javascript:alert(1)", f"data:image/png;base64,{NAME}", "https://evil.example/cat.jpg",
                f"https://x.example/{NAME}.jpg?x=1", f"https://x.example/{NAME}.svg", f"{NAME}.jpg"]:
        assert not review_images_ok([bad]), bad


def test_summary_counts_every_star_and_averages_to_one_decimal():
    assert rating_summary({5: 2, 4: 1}).average == 4.7
    assert rating_summary({}).average is None
    assert rating_summary({1: 1}).stars == {"1": 1, "2": 0, "3": 0, "4": 0, "5": 0}
