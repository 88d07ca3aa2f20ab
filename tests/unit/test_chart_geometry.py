"""Chart geometry: labels fit the space left of the bars, and the value after the longest bar fits inside
the chart, whatever the language."""
from linkage.dashboards import charts


def test_a_long_chinese_label_is_cut_to_the_label_column_with_an_ellipsis():
    name = "2026年示范区助残康复服务项目"
    chart = charts.bars([name, "短名"], ["a"], [[3], [1]], ["3", "1"])
    first, second = chart["rows"]
    assert first["label"].endswith("…") and name.startswith(first["label"][:-1])
    assert charts.text_width(first["label"]) <= charts.LABEL_WIDTH - 10
    assert first["full_label"] == name
    assert second["label"] == "短名"


def test_wide_characters_count_twice_a_narrow_one():
    assert charts.text_width("养老") == 2 * charts.WIDE
    assert charts.text_width("ab") == 2 * charts.NARROW
    assert charts.fit("Elderly care", 200) == "Elderly care"


def test_the_value_after_the_longest_bar_stays_inside_the_chart():
    texts = ["¥360,000.00", "¥300,000.00"]
    chart = charts.bars(["甲", "乙"], ["paid", "contracted", "left"], [[102600, 239400, 18000],
                                                                     [286000, 0, 14000]], texts, stacked=True)
    for row, text in zip(chart["rows"], texts):
        assert row["text_x"] + charts.text_width(text) <= chart["width"]
