"""values: the one module that turns a value into JSON, a CSV cell, words or a page."""
import datetime as dt

import pytest

from policyengine.engine.dates import Interval
from policyengine.engine.values import for_csv, for_json, for_page, show, tally_key, words

DAY = dt.date(2026, 11, 22)


@pytest.mark.parametrize("value, json, cell, key, said, shown, page", [
    (None, None, "", "none", "none", "— (not applicable)", "Not applicable"),
    (True, True, "true", "yes", "yes", "yes", "Yes"),
    (7, 7, "7", "7", "7", "7", "7"),
    ("pwt", "pwt", "pwt", "pwt", "pwt", "pwt", "Pwt"),
    ("review_tray", "review_tray", "review_tray", "review_tray", "review_tray", "review_tray", "Review tray"),
    (DAY, "2026-11-22", "2026-11-22", "2026-11-22", "22 November 2026", "22 November 2026", "22 November 2026"),
    (Interval(1, "months"), "1 month", "1 month", "1 month", "1 month", "1 month", "1 month"),
    (["a", "b_c"], ["a", "b_c"], "a;b_c", "['a', 'b_c']", "[a, b_c]", "a, b_c", "A, B c"),
    ([], [], "", "[]", "[]", "none", "None"),
])
def test_each_value_reads_the_same_wherever_it_is_written(value, json, cell, key, said, shown, page):
    assert (for_json(value), for_csv(value), tally_key(value), words(value), show(value), for_page(value)) \
        == (json, cell, key, said, shown, page)
