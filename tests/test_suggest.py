"""nqpf._suggest: the one did-you-mean rule (properties; the messages are tested where used)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from nqpf._suggest import close_matches, did_you_mean, normal_form

_part = st.text(alphabet="abcdefghij柴油电力天然气", min_size=2, max_size=6)
names = st.lists(
    st.tuples(_part, _part).map("_".join),
    min_size=1,
    max_size=8,
    unique_by=normal_form,
)


@given(names, st.data())
def test_a_name_written_otherwise_is_suggested_first(known, data):
    name = data.draw(st.sampled_from(known))
    variant = f"  {name.upper().replace('_', '-')} "
    assert close_matches(variant, known)[0] == name


@given(names, st.data())
def test_one_wrong_character_in_a_long_name_still_finds_it(known, data):
    name = data.draw(st.sampled_from(known))
    k = data.draw(st.integers(0, len(name) - 1))
    typo = name[:k] + "Z" + name[k + 1 :]
    assert name in close_matches(typo, known, n=len(known), spread=1.0)


@given(st.text(max_size=12), names, st.integers(1, 4))
def test_suggestions_are_known_names_at_most_n(word, known, n):
    got = close_matches(word, known, n=n)
    assert len(got) <= n and set(got) <= set(known) and len(set(got)) == len(got)


def test_aliases_suggest_the_name_they_point_at_once():
    spellings = {"diesel": "柴油", "diesel oil": "柴油", "柴油": "柴油", "电力": "电力"}
    assert close_matches("diesle oil", spellings) == ["柴油"]
    assert did_you_mean("", spellings) == ("", "")
    assert did_you_mean("dielse", spellings, show=lambda s: f"{s!r} (diesel)") == (
        "did you mean '柴油' (diesel)?",
        "是否指“柴油”？",
    )
