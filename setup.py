"""The one compiled part of nqpf; everything else is declared in pyproject.toml.

``nqpf.assessment._records`` reads a list of response dicts into typed columns for
``batch_score`` (issue 15: 10⁶ SME-2024 responses in ≤ 2 s). It is optional: without a
C compiler the install still succeeds and ``batch_score`` reads the dicts in Python, with
the same results in about three times the time.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "nqpf.assessment._records",
            sources=["src/nqpf/assessment/_records.c"],
            optional=True,
        )
    ]
)
